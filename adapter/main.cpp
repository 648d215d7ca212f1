// crp-adapter: challenge and resolution protocols for children's social care.
//   crp-adapter run --config FILE [--instance NAME]
//   crp-adapter replay --config FILE --input EVENTS.jsonl [--until ISO8601]
//   crp-adapter check-config --config FILE
//   crp-adapter schema NAME
#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>

#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "adapter/runtime/kafka/run_command.h"
#include "adapter/runtime/replay.h"
#include "adapter/runtime/service_config.h"

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
    "  schema        NAME            print an embedded JSON Schema (e.g. protocol.schema.json)\n";

int replay_command(const po::variables_map& vm) {
  crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
  std::optional<crp::Instant> until;
  if (vm.count("until")) {
    until = crp::parse_iso8601(vm["until"].as<std::string>());
    if (!until) {
      std::cerr << "crp-adapter: --until is not an ISO 8601 instant with offset (e.g. 2027-01-31T00:00:00Z)\n";
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
      "name", po::value<std::string>(), "schema name")(
      "instance", po::value<std::string>(), "run: instance name in transactional.id");
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc - 1, argv + 1).options(options).positional(positional).run(), vm);
    po::notify(vm);
    if (command == "schema") {
      if (!vm.count("name")) throw po::error("schema needs a NAME");
      std::cout << crp::json::schema_text(vm["name"].as<std::string>());
      return 0;
    }
    if (!vm.count("config")) throw po::error(command + " needs --config FILE");
    if (command == "run") {
      crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
      return crp::kafka::run_service(config,
                                     vm.count("instance") ? vm["instance"].as<std::string>() : "");
    }
    if (command == "replay") {
      if (!vm.count("input")) throw po::error("replay needs --input FILE");
      return replay_command(vm);
    }
    if (command == "check-config") {
      crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
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
