// The Kafka Streams peer baseline (docs/benchmarks.md, "Peer baseline: Kafka
// Streams"): the smallest Streams topology that does the adapter's Kafka work
// for the same input, so that the adapter's throughput, latency and restore
// time can be given as ratios against what a team would get from Streams.
//
//   input (the adapter's canonical JSON events, key = challenge id)
//     -> one processor with two persistent (RocksDB, changelogged, cached)
//        stores: "challenges" (challenge id -> state JSON) and "deadlines"
//        (zero-padded due time | challenge id -> challenge id)
//     -> output: FAN_OUT records per event on average (the adapter's measured
//        fan-out, passed in), the first one of a challenge.raised being a
//        challenge.stage_started like the adapter's escalation.
//   A WALL_CLOCK_TIME punctuator every second range-scans "deadlines" for due
//   ones and emits a deadline record for each.
//
// What it does NOT do, against the adapter: no protocol rules, working-day
// calendar, validation, dead letters, CloudEvents, or several output topics.
// Its state is the event's fields plus the seen event ids (for de-duplication,
// as the adapter keeps them). It is a floor for "the same Kafka work in
// Streams", not a second implementation.
//
// Prints JSON lines on stderr (run it with -Dorg.slf4j.simpleLogger.logFile=System.out
// to keep Kafka's own log apart): "state restored" per store partition,
// "running" (start -> RUNNING, after any restore), "stopped" with counts.
//   java -Xmx512m -cp 'LIB/*:CLASSES' StreamsBaseline --bootstrap HOST:PORT
//        --application-id ID --input TOPIC --output TOPIC --fan-out 10.07
//        --state-dir DIR [--deadline-ms MS] [--value-bytes B]
// --value-bytes pads each output value to at least B bytes (the adapter's mean
// output record size, so both write about the same bytes).
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

public final class StreamsBaseline {
  static final ObjectMapper JSON = new ObjectMapper();
  static final AtomicLong consumed = new AtomicLong();
  static final AtomicLong produced = new AtomicLong();
  static final AtomicLong deadlinesFired = new AtomicLong();
  static final AtomicLong duplicates = new AtomicLong();

  static synchronized void emit(Map<String, Object> fields) {
    try {
      System.err.println(JSON.writeValueAsString(fields));
      System.err.flush();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deadline index key: sorts by due time, so "due by now" is one range scan. */
  static String deadlineKey(long dueMs, String id) {
    return String.format("%020d|%s", dueMs, id);
  }

  static final class ChallengeProcessor implements Processor<String, String, String, String> {
    private final double fanOut;
    private final long deadlineMs;
    private final int valueBytes;
    private double owed; // fractional output records carried to the next event
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, String> challenges;
    private KeyValueStore<String, String> deadlines;

    ChallengeProcessor(double fanOut, long deadlineMs, int valueBytes) {
      this.fanOut = fanOut;
      this.deadlineMs = deadlineMs;
      this.valueBytes = valueBytes;
    }

    /** Pads an output value to the adapter's mean output size (--value-bytes). */
    private String padded(ObjectNode out) {
      String text = out.toString();
      int missing = valueBytes - text.length() - ",\"pad\":\"\"".length();
      if (missing <= 0) return text;
      out.put("pad", "x".repeat(missing));
      return out.toString();
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      challenges = context.getStateStore("challenges");
      deadlines = context.getStateStore("deadlines");
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::fireDue);
    }

    @Override
    public void process(Record<String, String> record) {
      consumed.incrementAndGet();
      String id = record.key();
      ObjectNode event;
      try {
        event = (ObjectNode) JSON.readTree(record.value());
      } catch (Exception e) {
        return; // the bench's input is valid JSON; a real app would dead-letter it
      }
      String previous = challenges.get(id);
      ObjectNode state;
      try {
        state = previous == null ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(previous);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      ArrayNode seen = state.withArray("seen_event_ids");
      String eventId = event.path("event_id").asText();
      for (JsonNode s : seen) {
        if (s.asText().equals(eventId)) {
          duplicates.incrementAndGet();
          return;
        }
      }
      seen.add(eventId);
      String type = event.path("type").asText();
      for (String f : new String[] {"challenge_id", "case_id", "protocol", "stage", "agency"}) {
        if (event.has(f)) state.set(f, event.get(f));
      }
      state.put("last_type", type);
      state.put("last_occurred_at", event.path("occurred_at").asText());
      state.put("events", state.path("events").asLong() + 1);
      long now = context.currentSystemTimeMs();
      if (state.has("due_ms")) deadlines.delete(deadlineKey(state.get("due_ms").asLong(), id));
      boolean closed = type.equals("challenge.withdrawn") || type.equals("challenge.resolved");
      if (closed) {
        state.remove("due_ms");
        state.put("status", "closed");
      } else {
        long due = now + deadlineMs;
        state.put("due_ms", due);
        state.put("status", "open");
        deadlines.put(deadlineKey(due, id), id);
      }
      challenges.put(id, state.toString());

      // Bresenham on the fan-out: over N events exactly round(N * fanOut) records.
      int n = (int) Math.floor(owed + fanOut);
      owed = owed + fanOut - n;
      for (int i = 0; i < n; i++) {
        ObjectNode out = JSON.createObjectNode();
        boolean started = i == 0 && type.equals("challenge.raised");
        out.put("type", started ? "challenge.stage_started" : "bench.output");
        if (started) out.put("reason", "raised");
        out.put("challenge_id", id);
        out.put("event_id", eventId);
        out.put("seq", i);
        out.set("protocol", state.get("protocol"));
        out.set("stage", state.get("stage"));
        out.put("status", state.get("status").asText());
        out.put("occurred_at", event.path("occurred_at").asText());
        context.forward(new Record<>(id, padded(out), record.timestamp()));
        produced.incrementAndGet();
      }
    }

    private void fireDue(long now) {
      String upTo = deadlineKey(now, "\uffff");
      try (KeyValueIterator<String, String> due = deadlines.range(deadlineKey(0, ""), upTo)) {
        java.util.List<String> fired = new java.util.ArrayList<>();
        while (due.hasNext()) {
          KeyValue<String, String> kv = due.next();
          fired.add(kv.key);
          ObjectNode out = JSON.createObjectNode();
          out.put("type", "challenge.deadline_passed");
          out.put("challenge_id", kv.value);
          context.forward(new Record<>(kv.value, out.toString(), now));
          produced.incrementAndGet();
          deadlinesFired.incrementAndGet();
        }
        for (String k : fired) deadlines.delete(k);
      }
    }
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    a.put("--deadline-ms", String.valueOf(Duration.ofDays(28).toMillis()));
    a.put("--value-bytes", "0");
    for (int i = 0; i + 1 < argv.length; i += 2) a.put(argv[i], argv[i + 1]);
    for (String k : new String[] {"--bootstrap", "--application-id", "--input", "--output",
        "--fan-out", "--state-dir"}) {
      if (!a.containsKey(k)) throw new IllegalArgumentException("missing " + k);
    }
    final long started = System.nanoTime();
    double fanOut = Double.parseDouble(a.get("--fan-out"));
    long deadlineMs = Long.parseLong(a.get("--deadline-ms"));
    int valueBytes = Integer.parseInt(a.get("--value-bytes"));

    Topology topology = new Topology();
    topology.addSource("events", a.get("--input"));
    topology.addProcessor("challenge", () -> new ChallengeProcessor(fanOut, deadlineMs, valueBytes), "events");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("challenges"),
        Serdes.String(), Serdes.String()).withCachingEnabled(), "challenge");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("deadlines"),
        Serdes.String(), Serdes.String()).withCachingEnabled(), "challenge");
    topology.addSink("out", a.get("--output"), "challenge");

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("--application-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("--bootstrap"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100); // Streams' own default under EOS
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1); // the adapter's loop is one thread
    p.put(StreamsConfig.STATE_DIR_CONFIG, a.get("--state-dir"));
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    // The adapter's bench config carries these too (failover only).
    p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
    p.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1000);

    KafkaStreams streams = new KafkaStreams(topology, p);
    AtomicLong restoredRecords = new AtomicLong();
    AtomicLong firstRestoreStart = new AtomicLong(Long.MAX_VALUE);
    AtomicLong lastRestoreEnd = new AtomicLong(Long.MIN_VALUE);
    Map<TopicPartition, Long> restoreStarts = new java.util.concurrent.ConcurrentHashMap<>();
    streams.setGlobalStateRestoreListener(new StateRestoreListener() {
      @Override
      public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
        long t = System.nanoTime();
        restoreStarts.put(tp, t);
        firstRestoreStart.accumulateAndGet(t, Math::min);
      }

      @Override
      public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {}

      @Override
      public void onRestoreEnd(TopicPartition tp, String store, long total) {
        long t = System.nanoTime();
        long ms = (t - restoreStarts.getOrDefault(tp, t)) / 1_000_000;
        restoredRecords.addAndGet(total);
        lastRestoreEnd.accumulateAndGet(t, Math::max);
        emit(Map.of("message", "state restored", "store", store, "partition", tp.toString(),
            "records", total, "ms", ms));
      }
    });
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) {
        emit(Map.of("message", "running", "since_start_ms", (System.nanoTime() - started) / 1_000_000,
            "restored_records", restoredRecords.get(),
            // first store partition's restore start -> last one's end
            "restore_ms", lastRestoreEnd.get() == Long.MIN_VALUE ? 0
                : (lastRestoreEnd.get() - firstRestoreStart.get()) / 1_000_000));
      } else if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        done.countDown();
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Leave the group as the adapter does on SIGTERM, so that a restart is
      // not timed waiting for the old member's session to expire.
      streams.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(Duration.ofSeconds(30)));
      emit(Map.of("message", "stopped", "consumed", consumed.get(), "produced", produced.get(),
          "deadlines_fired", deadlinesFired.get(), "duplicates", duplicates.get()));
    }));
    streams.start();
    done.await(); // ERROR ends the process; SIGTERM runs the hook
    if (streams.state() == KafkaStreams.State.ERROR) System.exit(1);
  }
}
