// crp-adapter: challenge and resolution protocols for children's social care.
//   crp-adapter run --config FILE [--instance NAME]
//   crp-adapter replay --config FILE --input EVENTS.jsonl [--until ISO8601]
//   crp-adapter check-config --config FILE
//   crp-adapter report --config FILE --from DATE --to DATE [--out DIR] [--input FACTS.jsonl]
//   crp-adapter webhooks redeliver --config FILE --partner ID [--since ISO8601]
//   crp-adapter schema NAME
#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "adapter/runtime/kafka/json_log.h"
#include "adapter/runtime/kafka/run_command.h"
#include "adapter/runtime/replay.h"
#include "adapter/runtime/report/report_command.h"
#include "adapter/runtime/service_config.h"
#include "adapter/runtime/webhooks/redelivery.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: crp-adapter <command> [options]\n"
    "commands:\n"
    "  run           --config FILE [--instance NAME]\n"
    "                the service: consume, process and produce exactly once until SIGTERM\n"
    "  replay        --config FILE --input EVENTS.jsonl [--until ISO8601]\n"
    "                dry run: prints every record the service would produce\n"
    "  check-config  --config FILE   load and validate the configuration, then exit\n"
    "  report        --config FILE --from DATE --to DATE [--out DIR] [--input FACTS.jsonl]\n"
    "                report.html, report.csv, summary.csv of challenges closed in the period,\n"
    "                from the facts topic (or from replay output / fact lines with --input)\n"
    "  webhooks redeliver --config FILE --partner ID [--since ISO8601]\n"
    "                re-queue a partner's dead-lettered webhook deliveries (same webhook-id)\n"
    "  schema        NAME            print an embedded JSON Schema (e.g. protocol.schema.json)\n";

int replay_command(const po::variables_map& vm) {
  crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
  std::optional<crp::Instant> until;
  if (vm.count("until")) {
    until = crp::parse_iso8601(vm["until"].as<std::string>());
    if (!until) {
      std::cerr << "crp-adapter: --until is not an ISO 8601 instant with offset (e.g. "
                   "2027-01-31T00:00:00Z)\n";
      return 2;
    }
  }
  const std::string input = vm["input"].as<std::string>();
  std::ifstream file;
  if (input != "-") {
    file.open(input);
    if (!file) {
      std::cerr << "crp-adapter: cannot open " << input << "\n";
      return 2;
    }
  }
  std::ios::sync_with_stdio(false);
  crp::replay(config, input == "-" ? std::cin : file, std::cout, std::cerr, until);
  std::cout.flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  po::options_description options("options");
  options.add_options()("config", po::value<std::string>(), "service configuration file")(
      "input", po::value<std::string>(), "JSONL records, or - for stdin")(
      "until", po::value<std::string>(), "fire timers due up to this instant")(
      "name", po::value<std::string>(), "schema name")("instance", po::value<std::string>(),
                                                       "run: instance name in transactional.id")(
      "partner", po::value<std::string>(), "webhooks redeliver: partner id")(
      "since", po::value<std::string>(),
      "webhooks redeliver: dead-lettered at or after (ISO 8601)")(
      "from", po::value<std::string>(), "report: first closing date, YYYY-MM-DD")(
      "to", po::value<std::string>(), "report: last closing date, YYYY-MM-DD")(
      "out", po::value<std::string>()->default_value("."), "report: output directory");
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map vm;
  // `webhooks redeliver`: a two-word command; its options follow the second word.
  const bool webhooks = command == "webhooks";
  if (webhooks && (argc < 3 || std::string(argv[2]) != "redeliver")) {
    std::cerr << "crp-adapter: webhooks needs a subcommand: redeliver\n" << kUsage;
    return 2;
  }
  const int skip = webhooks ? 2 : 1;
  try {
    po::store(po::command_line_parser(argc - skip, argv + skip)
                  .options(options)
                  .positional(positional)
                  .run(),
              vm);
    po::notify(vm);
    if (command == "schema") {
      if (!vm.count("name")) throw po::error("schema needs a NAME");
      std::cout << crp::json::schema_text(vm["name"].as<std::string>());
      return 0;
    }
    if (command == "report") {
      if (!vm.count("from") || !vm.count("to"))
        throw po::error("report needs --from DATE --to DATE");
      crp::report::ReportOptions o;
      if (vm.count("config")) o.config_file = vm["config"].as<std::string>();
      if (vm.count("input")) o.input = vm["input"].as<std::string>();
      o.from = vm["from"].as<std::string>();
      o.to = vm["to"].as<std::string>();
      o.out_dir = vm["out"].as<std::string>();
      return crp::report::run_report(o, std::cout, std::cerr);
    }
    if (!vm.count("config")) throw po::error(command + " needs --config FILE");
    if (command == "run") {
      // The service logs JSON lines only, its refusal to start included.
      try {
        crp::ServiceConfig config =
            crp::load_service_config(vm["config"].as<std::string>(), crp::Secrets::resolve);
        return crp::kafka::run_service(
            config, vm.count("instance") ? vm["instance"].as<std::string>() : "");
      } catch (const crp::json::ConfigError& e) {
        crp::kafka::log(crp::kafka::LogLevel::error, "configuration error",
                        {{"file", e.file()}, {"pointer", e.pointer()}, {"reason", e.reason()}});
        return 3;
      }
    }
    if (command == "replay") {
      if (!vm.count("input")) throw po::error("replay needs --input FILE");
      return replay_command(vm);
    }
    if (webhooks) {
      if (!vm.count("partner")) throw po::error("webhooks redeliver needs --partner ID");
      crp::webhooks::RedeliverOptions options{vm["partner"].as<std::string>(), std::nullopt};
      if (vm.count("since")) {
        options.since = crp::parse_iso8601(vm["since"].as<std::string>());
        if (!options.since) {
          std::cerr << "crp-adapter: --since is not an ISO 8601 instant with offset (e.g. "
                       "2027-01-31T00:00:00Z)\n";
          return 2;
        }
      }
      crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
      return crp::webhooks::redeliver(config, options, std::cout, std::cerr);
    }
    if (command == "check-config") {
      crp::ServiceConfig config =
          crp::load_service_config(vm["config"].as<std::string>(), crp::Secrets::resolve);
      std::cout << "ok: " << config.protocols->all().size() << " protocols\n";
      return 0;
    }
    std::cerr << "crp-adapter: unknown command '" << command << "'\n" << kUsage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "crp-adapter: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const crp::json::ConfigError& e) {
    std::cerr << "crp-adapter: configuration error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "crp-adapter: " << e.what() << "\n";
    return 1;
  }
}
