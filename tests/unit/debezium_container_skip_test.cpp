// The block-wise bracket count that lets schema-wrapped rows of unlisted
// tables be dropped fast (connectors/debezium/container_skip.h) against its
// byte-by-byte reference, and the drop decision it feeds against a full
// RapidJSON parse: adversarial records, every sample row, every truncation.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "adapter/json/json.h"
#include "connectors/debezium/container_skip.h"
#include "connectors/debezium/debezium_source.h"
#include "connectors/debezium/envelope.h"
#include "tests/unit/engine_fixture.h"

namespace crp::connectors::debezium {
namespace {

const std::string kRoot = CRP_SOURCE_DIR;
constexpr std::size_t npos = std::string_view::npos;

// Both skips from every bracket of `text`; returns how many starts were compared.
int expect_agree(const std::string& text) {
  int starts = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c != '{' && c != '[') continue;
    ++starts;
    EXPECT_EQ(skip_container(text, pos), skip_container_bytewise(text, pos))
        << "from " << pos << " in: " << text;
  }
  return starts;
}

// `core` placed at every offset against the 64-byte blocks.
void expect_agree_at_every_alignment(const std::string& core) {
  for (std::size_t pad = 0; pad < 64; ++pad) expect_agree(std::string(pad, ' ') + core);
}

TEST(DebeziumContainerSkip, FindsTheMatchingCloseAcrossBlocks) {
  // A schema-like object longer than several blocks, brackets and quotes in its strings.
  std::string schema = R"({"type":"struct","fields":[)";
  for (int i = 0; i < 20; ++i) {
    schema += R"({"type":"string","optional":true,"field":"C)" + std::to_string(i) +
              R"(","doc":"a } and a ] and a { in text"},)";
  }
  schema += R"({"field":"last"}]})";
  const std::string text = schema + R"(,"payload":{"x":1}})";
  EXPECT_EQ(skip_container(text, 0), schema.size());
  expect_agree_at_every_alignment(text);
}

TEST(DebeziumContainerSkip, EscapesAtAndAcrossBlockBoundaries) {
  // A backslash as the last byte of a block hides the first byte of the next.
  for (std::size_t at = 55; at < 70; ++at) {
    std::string s = "{\"a\":\"" + std::string(at > 6 ? at - 6 : 0, 'x') + "\\\"}]\"}";
    ASSERT_EQ(s[at], '\\');
    EXPECT_EQ(skip_container(s, 0), s.size()) << s;
    std::string runs = "{\"k\":\"" + std::string(at, 'y') + "\\\\\\\\\\\"\\\\\"}";
    EXPECT_EQ(skip_container(runs, 0), runs.size()) << runs;
    expect_agree_at_every_alignment(s);
    expect_agree_at_every_alignment(runs);
  }
}

TEST(DebeziumContainerSkip, TruncatedOrUnclosedTextEndsWithNpos) {
  const std::string whole =
      R"({"schema":{"fields":[{"field":"x\"}"}]},"payload":{"source":{"table":"T"}}})" +
      std::string(100, ' ');
  for (std::size_t len = 1; len < whole.find_last_of('}'); ++len) {
    const std::string cut = whole.substr(0, len);
    EXPECT_EQ(skip_container(cut, 0), npos) << cut;
    EXPECT_EQ(skip_container_bytewise(cut, 0), npos);
  }
  // A backslash as the very last byte inside a string.
  const std::string dangling = "{\"" + std::string(70, 'z') + "\\";
  EXPECT_EQ(skip_container(dangling, 0), npos);
}

TEST(DebeziumContainerSkip, AgreesWithTheBytewiseScanOnRandomText) {
  // Mostly the bytes that matter, so strings, escapes and nesting all occur.
  const std::string alphabet = "{}[]\"\"\\ax :,";
  std::mt19937 rng(20261207);
  int compared = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s(std::uniform_int_distribution<std::size_t>(1, 300)(rng), ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    s[0] = round % 2 ? '{' : '[';
    compared += expect_agree(s);
  }
  EXPECT_GT(compared, 3000);
}

TEST(DebeziumContainerSkip, FindsTheNextQuoteOrBackslashFromAnyPosition) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab\"\\ {}";
  for (int round = 0; round < 500; ++round) {
    std::string s(std::uniform_int_distribution<std::size_t>(0, 100)(rng), 'x');
    for (char& c : s) c = rng() % 8 ? 'x' : alphabet[rng() % alphabet.size()];
    for (std::size_t pos = 0; pos <= s.size() + 1; ++pos) {
      const std::size_t expected = std::min(s.find_first_of("\"\\", pos), s.size());
      ASSERT_EQ(next_quote_or_backslash(s, pos), expected) << pos << " in " << s;
    }
  }
}

// --- The drop decision against a full parse --------------------------------

Mapping lcs_mapping() {
  return load_mapping_file(kRoot + "/config/connectors/lcs-debezium.json");
}

// What a connector that parses first would conclude: nullopt when the value is
// not a JSON object with a source table, else whether that table is listed.
std::optional<bool> listed_by_parse(const Mapping& mapping, const std::string& value,
                                    std::string* table = nullptr) {
  rapidjson::Document d;
  std::string error;
  if (!json::parse(value, d, error) || !d.IsObject()) return std::nullopt;
  const rapidjson::Value* change = &d;
  if (d.HasMember("payload")) change = &d["payload"];
  if (!change->IsObject() || !change->HasMember("source")) return std::nullopt;
  const auto& source = (*change)["source"];
  if (!source.IsObject() || !source.HasMember("table") || !source["table"].IsString())
    return std::nullopt;
  auto text = [&](const char* key) {
    return source.HasMember(key) && source[key].IsString() ? std::string(source[key].GetString())
                                                           : std::string();
  };
  if (table) *table = text("table");
  for (const TableMapping& t : mapping.tables) {
    if (t.table == text("table") && (t.schema.empty() || t.schema == text("schema")) &&
        (t.db.empty() || t.db == text("db")))
      return true;
  }
  return false;
}

std::vector<std::string> sample_values() {
  std::vector<std::string> out;
  for (const char* name : {"debezium-lcs-sqlserver.jsonl", "debezium-lcs-activity.jsonl",
                           "debezium-mosaic-oracle.jsonl", "debezium-mosaic-activity.jsonl"}) {
    std::ifstream in(kRoot + "/config/samples/" + name);
    for (std::string line; std::getline(in, line);) {
      rapidjson::Document d;
      d.Parse(line.c_str());
      if (d.IsObject() && d.HasMember("value") && d["value"].IsObject())
        out.push_back(json::to_string(d["value"]));
    }
  }
  return out;
}

// The Connect schema of the LCS sample, so the adversarial records below are
// as long as real ones and cross many 64-byte blocks.
std::string sample_schema() {
  for (const std::string& v : sample_values()) {
    rapidjson::Document d;
    d.Parse(v.c_str());
    if (d.HasMember("schema")) return json::to_string(d["schema"]);
  }
  throw std::runtime_error("no wrapped sample");
}

std::string source_block(const std::string& table) {
  return R"({"version":"2.7.3.Final","connector":"sqlserver","name":"lcs","ts_ms":1800000000000,)"
         R"("db":"LCS_LIVE","schema":"dbo","table":")" +
         table + R"(","change_lsn":"00000031:00000a20:0002"})";
}

std::vector<std::string> adversarial_records() {
  const std::string schema = sample_schema();
  const std::string listed = source_block("CP_CHALLENGE_FORM");
  const std::string unlisted = source_block("ADDRESS");
  const std::string row = R"({"FORM_ID":1,"CHALLENGE_REF":"ROT-1"})";
  auto payload = [&](const std::string& source, const std::string& after) {
    return R"({"before":null,"after":)" + after + R"(,"source":)" + source + R"(,"op":"c"})";
  };
  auto wrapped = [&](const std::string& s, const std::string& p) {
    return R"({"schema":)" + s + R"(,"payload":)" + p + "}";
  };
  const std::string decoy_text =
      R"(\"payload\":{\"source\":{\"table\":\"CP_CHALLENGE_FORM\"}}, \\\" } ] { [)";
  const std::string decoy_schema = R"({"type":"struct","doc":")" + decoy_text +
                                   R"(","fields":[{"field":"payload","doc":"\"source\":{"},)" +
                                   R"({"type":"struct","fields":[{"field":"source"}]}]})";
  return {
      // Plain, wrapped, and payload before schema; listed and unlisted.
      payload(unlisted, row),
      payload(listed, row),
      wrapped(schema, payload(unlisted, row)),
      wrapped(schema, payload(listed, row)),
      R"({"payload":)" + payload(unlisted, row) + R"(,"schema":)" + schema + "}",
      R"({"payload":)" + payload(listed, row) + R"(,"schema":)" + schema + "}",
      // A listed table's name in strings of the schema and the row: the real source decides.
      wrapped(decoy_schema, payload(unlisted, R"({"NOTE":")" + decoy_text + R"("})")),
      wrapped(decoy_schema, payload(listed, R"({"NOTE":")" + decoy_text + R"("})")),
      wrapped(schema, payload(unlisted, R"({"source":{"table":"CP_CHALLENGE_FORM"}})")),
      // Escaped quotes and backslash runs ending just before a structural quote.
      wrapped(schema, payload(unlisted, R"({"N":"\\\\","M":"\\\"}","O":"\\"})")),
      // A nested "payload" and "source" inside the schema object itself.
      wrapped(R"({"payload":{"source":)" + listed + R"(},"fields":)" + schema + "}",
              payload(unlisted, row)),
      // Whitespace everywhere JSON allows it.
      " {\n\t\"schema\" :\r\n" + schema + " ,\n \"payload\" : {\"after\" : " + row +
          " , \"source\" :\t" + unlisted + " , \"op\" : \"c\" } \n}\n",
      " {\n\t\"schema\" :\r\n" + schema + " ,\n \"payload\" : {\"after\" : " + row +
          " , \"source\" :\t" + listed + " , \"op\" : \"c\" } \n}\n",
      // An escaped table name that decodes to a listed one.
      wrapped(schema,
              payload(R"({"db":"LCS_LIVE","schema":"dbo","table":"CP_CHALLENGE_\u0046ORM"})", row)),
  };
}

TEST(DebeziumDropDecision, MatchesAFullParseForSamplesAndAdversarialRecords) {
  const Mapping mapping = lcs_mapping();
  DebeziumSource source(lcs_mapping());
  Engine engine(testing::example_config().protocols);
  std::vector<std::string> values = sample_values();
  const std::vector<std::string> adversarial = adversarial_records();
  values.insert(values.end(), adversarial.begin(), adversarial.end());
  int dropped_unlisted = 0, kept_listed = 0;
  for (const std::string& value : values) {
    std::string parsed_table;
    const std::optional<bool> listed = listed_by_parse(mapping, value, &parsed_table);
    ASSERT_TRUE(listed.has_value()) << "every test record is a valid change event: " << value;
    const Envelope env = scan_envelope(value);
    ASSERT_EQ(env.kind, Envelope::Kind::change) << value;
    EXPECT_EQ(env.table.decode(), parsed_table) << value;
    Record r;
    r.topic = "crp.cdc";
    r.value = value;
    const SourceResult result = source.map(r, engine);
    if (*listed) {
      // A listed table's row may still be dropped by its rules (the next test
      // makes sure it reached them); the table the scan found is the parse's.
      ++kept_listed;
    } else {
      ++dropped_unlisted;
      EXPECT_TRUE(result.dropped) << value;
    }
  }
  EXPECT_GE(dropped_unlisted, 8);
  EXPECT_GE(kept_listed, 6);
}

TEST(DebeziumDropDecision, AListedTableIsNeverDroppedBeforeItsRulesRan) {
  // The same listed row, wrapped with decoys, gives the same outcome as bare.
  DebeziumSource source(lcs_mapping());
  Engine engine(testing::example_config().protocols);
  const std::vector<std::string> adversarial = adversarial_records();
  const Mapping mapping = lcs_mapping();
  int listed = 0;
  for (const std::string& value : adversarial) {
    if (!*listed_by_parse(mapping, value)) continue;
    ++listed;
    Record r;
    r.topic = "crp.cdc";
    r.value = value;
    const SourceResult result = source.map(r, engine);
    // The row lacks mapped columns: a mapped table's row fails its mapping, so
    // a drop here would mean it was taken for an unlisted table.
    EXPECT_FALSE(result.dropped) << value;
    EXPECT_EQ(result.error.error_class, "crp.MappingError") << value;
  }
  EXPECT_GE(listed, 6);
}

// The envelope scan as it was before the wrapper's payload was read in place:
// count the payload's brackets to find its end, then walk it.
Envelope reference_scan(std::string_view value) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  std::size_t b = skip_whitespace(value, 0), e = value.size();
  while (e > b && is_space(value[e - 1])) --e;
  value = value.substr(b, e - b);
  auto is_null = [](std::string_view v) { return v.empty() || v == "null"; };
  Envelope env;
  auto bad = [&](const char* problem) {
    Envelope m;
    m.problem = problem;
    return m;
  };
  if (is_null(value)) {
    env.kind = Envelope::Kind::tombstone;
    return env;
  }
  auto change_member = [&](const RawString& key, std::string_view v) {
    if (key.equals("before")) env.before = v;
    if (key.equals("after")) env.after = v;
    if (key.equals("source")) env.source = v;
    if (key.equals("op") && !v.empty() && v[0] == '"') read_string(v, 0, env.op);
    return true;
  };
  std::string_view payload;
  bool has_payload = false;
  const bool ok = for_each_member(value, [&](const RawString& key, std::string_view v) {
    if (key.equals("payload")) {
      payload = v;
      has_payload = true;
    } else if (key.equals("schema")) {
      env.schema = v;
    } else {
      change_member(key, v);
    }
    return true;
  });
  if (!ok) return bad("value is not a JSON object");
  if (has_payload) {
    env.wrapped = true;
    if (is_null(payload)) {
      env.kind = Envelope::Kind::tombstone;
      return env;
    }
    env.before = env.after = env.source = {};
    env.op = {};
    if (!for_each_member(payload, change_member)) return bad("/payload is not a JSON object");
  } else {
    env.schema = {};
  }
  if (env.source.empty() || is_null(env.source))
    return bad("no source block: not a Debezium change event");
  const bool source_ok = for_each_member(env.source, [&](const RawString& key, std::string_view v) {
    RawString* into = key.equals("table")    ? &env.table
                      : key.equals("schema") ? &env.schema_name
                      : key.equals("db")     ? &env.db
                                             : nullptr;
    if (into && !v.empty() && v[0] == '"') read_string(v, 0, *into);
    return true;
  });
  if (!source_ok) return bad("source is not a JSON object");
  if (env.table.empty()) return bad("source.table is missing");
  env.kind = Envelope::Kind::change;
  return env;
}

// Same spans of the same text, not just equal text.
bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || a.data() == b.data());
}

void expect_same_envelope(const std::string& value) {
  const Envelope got = scan_envelope(value);
  const Envelope want = reference_scan(value);
  EXPECT_EQ(got.kind, want.kind) << value;
  EXPECT_STREQ(got.problem, want.problem) << value;
  EXPECT_EQ(got.wrapped, want.wrapped) << value;
  EXPECT_TRUE(same(got.schema, want.schema)) << value;
  EXPECT_TRUE(same(got.before, want.before)) << value;
  EXPECT_TRUE(same(got.after, want.after)) << value;
  EXPECT_TRUE(same(got.source, want.source)) << value;
  for (auto [g, w] : {std::pair{got.op, want.op},
                      {got.table, want.table},
                      {got.db, want.db},
                      {got.schema_name, want.schema_name}}) {
    EXPECT_TRUE(same(g.raw, w.raw) && g.escaped == w.escaped) << value;
  }
}

TEST(DebeziumEnvelope, ReadingThePayloadInPlaceFindsWhatCountingItsBracketsFound) {
  std::vector<std::string> values = adversarial_records();
  // Tokens that end at a delimiter but hold a quote or bracket: the in-place
  // read must give up on them, as the bracket count reads them differently.
  values.push_back(R"({"schema":{},"payload":{"ts_ms":1{2,"source":{"table":"T"}}})");
  values.push_back(R"({"schema":{},"payload":{"ts_ms":1"2,"source":{"table":"T"}}}"}})");
  values.push_back(R"({"payload":{"ts_ms":tru[e,"source":{"table":"T"}}],"x":1}})");
  values.push_back(R"({"payload":{"ts_ms":1,"source":{"table":"T"}},"payload":null})");
  values.push_back(R"({"payload":null,"payload":{"ts_ms":1,"source":{"table":"T"}}})");
  values.push_back(R"({"payload":{"source":{"table":"T"}} "x":1})");
  values.push_back(R"({"payload":"{\"source\":{}}","source":{"table":"T"}})");
  for (const std::string& v : values) expect_same_envelope(v);
  // Random damage to real records: bytes that matter to the scan, anywhere.
  const std::string damage = "{}[]\":,\\ 1n";
  std::mt19937 rng(58);
  const std::vector<std::string> base = adversarial_records();
  for (int round = 0; round < 4000; ++round) {
    std::string v = base[rng() % base.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < edits; ++i) {
      // Most damage near the payload, where the two reads differ.
      const std::size_t p = v.find("\"payload\"");
      const std::size_t from = p == std::string::npos || rng() % 4 == 0 ? 0 : p;
      const std::size_t at = from + rng() % (v.size() - from);
      if (rng() % 2) {
        v[at] = damage[rng() % damage.size()];
      } else {
        v.insert(at, 1, damage[rng() % damage.size()]);
      }
    }
    expect_same_envelope(v);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(DebeziumDropDecision, EveryTruncationOfAWrappedRowIsDeadLetteredAsNotJson) {
  DebeziumSource source(lcs_mapping());
  Engine engine(testing::example_config().protocols);
  for (const std::string& value : adversarial_records()) {
    const std::size_t end = value.find_last_of('}');
    for (std::size_t len = 1; len <= end; len += (len < 200 || end - len < 200) ? 1 : 7) {
      Record r;
      r.topic = "crp.cdc";
      r.value = value.substr(0, len);
      if (r.value.find_first_not_of(" \n\r\t") == std::string::npos) continue;  // a tombstone
      const SourceResult result = source.map(r, engine);
      ASSERT_FALSE(result.dropped) << len << " of " << value;
      ASSERT_EQ(result.error.error_class, "crp.NotJson") << len << " of " << value;
    }
  }
}

}  // namespace
}  // namespace crp::connectors::debezium
