#include "adapter/app/changelog_impact.h"

#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>

#include "adapter/engine/engine.h"
#include "adapter/engine/protocol_digests.h"
#include "adapter/infra/kafka/kafka_properties.h"
#include "adapter/runtime/kafka/changelog_restore.h"

namespace crp::cli {
namespace {

int changelog_partitions(const ServiceConfig& config) {
  std::string error;
  kafka::ConfPtr conf =
      kafka::restore_consumer_conf(config, nullptr, kafka::Isolation::read_committed);
  std::unique_ptr<RdKafka::KafkaConsumer> client(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!client) throw std::runtime_error("cannot create a Kafka client: " + error);
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(client.get(), config.topics.changelog, nullptr, error));
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode err = client->metadata(false, topic.get(), &raw, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  client->close();
  if (err != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot read the metadata of " + config.topics.changelog + ": " +
                             RdKafka::err2str(err));
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() == config.topics.changelog && t->err() == RdKafka::ERR_NO_ERROR)
      return static_cast<int>(t->partitions()->size());
  }
  throw std::runtime_error("no changelog topic " + config.topics.changelog);
}

}  // namespace

ChangelogImpact changelog_impact(const ServiceConfig& config, std::ostream& out) {
  std::map<std::int32_t, std::unique_ptr<Engine>> owned;
  std::map<std::int32_t, Engine*> engines;
  for (int p = 0, n = changelog_partitions(config); p < n; ++p) {
    owned[p] = std::make_unique<Engine>(config.protocols);
    engines[p] = owned[p].get();
  }
  kafka::ChangelogRestorer(config).restore(engines);

  ChangelogImpact impact;
  std::map<std::string, std::string> lines;  // by challenge id, for a stable order
  for (const auto& [partition, engine] : owned) {
    const std::string* recorded = engine->counted(Engine::kProtocolsKey);
    const std::set<std::string> edited =
        recorded ? changed_in_place(*recorded, *config.protocols) : std::set<std::string>{};
    engine->for_each([&](const Challenge& c) {
      if (c.closed()) return;
      ++impact.open;
      const std::string version = c.protocol + "@" + std::to_string(c.protocol_version);
      if (edited.count(version)) {
        ++impact.changed_in_place;
        lines[c.id + " edited"] = "edited in place: " + c.id + " " + c.protocol + " version " +
                                  std::to_string(c.protocol_version) +
                                  ": its file changed since the challenge was counted under it";
      }
      auto moved = engine->migrated_on_restore().find(c.id);
      if (moved == engine->migrated_on_restore().end()) {
        ++impact.runs;
        return;
      }
      ++impact.migrated;
      lines[c.id] = "moves: " + c.id + " " + c.protocol + " version " +
                    std::to_string(moved->second.from_version) + " stage " +
                    (moved->second.from_stage.empty() ? "-" : moved->second.from_stage) +
                    " -> version " + std::to_string(c.protocol_version) + " stage " +
                    (c.stage.empty() ? "-" : c.stage);
    });
    for (const auto& [id, q] : engine->quarantined()) {
      if (q.challenge.closed()) continue;
      ++impact.open;
      ++impact.quarantined;
      lines[id] = "quarantined: " + id + " " + q.challenge.protocol + " version " +
                  std::to_string(q.challenge.protocol_version) + " stage " +
                  (q.challenge.stage.empty() ? "-" : q.challenge.stage) + ": " + q.reason;
    }
  }
  for (const auto& [id, line] : lines) out << line << "\n";
  out << "changelog " << config.topics.changelog << ": " << impact.open << " open challenge"
      << (impact.open == 1 ? "" : "s") << ": " << impact.runs << " run as before, "
      << impact.migrated << " move to a newer protocol version, " << impact.quarantined
      << " would be quarantined";
  if (impact.changed_in_place > 0) {
    out << "; " << impact.changed_in_place << " under a protocol version edited in place (give "
        << "a revision a new version to keep open challenges on the rules they started under)";
  }
  out << "\n";
  return impact;
}

}  // namespace crp::cli
