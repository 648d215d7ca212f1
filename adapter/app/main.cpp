// crp-adapter: challenge and resolution protocols for children's social care.
//   crp-adapter run --config FILE [--instance NAME]
//   crp-adapter replay --config FILE --input EVENTS.jsonl|- [--until ISO8601] [--strict]
//                      [--headers]
//   crp-adapter check-config --config FILE [--offline] [--changelog]
//   crp-adapter whatif --config FILE --variant FILE --input EVENTS.jsonl|- [--until ISO8601]
//                      [--csv FILE] [--html FILE]
//   crp-adapter report --config FILE --from DATE --to DATE [--out DIR] [--input FACTS.jsonl]
//   crp-adapter webhooks redeliver --config FILE --partner ID [--since ISO8601]
//   crp-adapter schema NAME
//   crp-adapter --version | --help, and `crp-adapter COMMAND --help`
// Exit codes: kExitCodes below (also printed by --help, and in docs/cli.md).
#include <librdkafka/rdkafka.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string_view>

#include "adapter/app/check_config.h"
#include "adapter/app/run_command.h"
#include "adapter/app/whatif_command.h"
#include "adapter/infra/kafka/json_log.h"
#include "adapter/json/json.h"
#include "adapter/json/schema_registry.h"
#include "adapter/runtime/replay.h"
#include "adapter/runtime/report/report_command.h"
#include "adapter/runtime/service_config.h"
#include "adapter/runtime/webhooks/partner_enable.h"
#include "adapter/runtime/webhooks/redelivery.h"

namespace po = boost::program_options;

namespace {

// The release version; tests/cli/cli_test.py checks it against CMakeLists.txt's project()
// VERSION and the chart's appVersion.
constexpr const char* kVersion = "0.1.0";

constexpr int kExitUsage = 2;
constexpr int kExitConfig = 3;
constexpr int kExitStrictDeadLetters = 5;  // replay --strict: at least one dead letter
static_assert(crp::kafka::kExitFatal == 1 && crp::kafka::kExitFenced == 4,
              "kExitCodes documents 1 and 4");

constexpr const char* kExitCodes =
    "exit codes:\n"
    "  0  success\n"
    "  1  runtime failure (I/O, Kafka, a partner dispatcher that could not continue)\n"
    "  2  usage error: unknown command or option, missing or malformed argument\n"
    "  3  configuration error (the file, JSON pointer and reason are printed or logged)\n"
    "  4  run: fenced, another instance took over this instance's transactional.id\n"
    "  5  replay --strict: at least one record was dead-lettered\n"
    "  6  run: a CRP_TEST_* test hook variable is set for a build without test hooks\n";

constexpr const char* kUsage =
    "usage: crp-adapter <command> [options]\n"
    "       crp-adapter <command> --help | crp-adapter --version\n"
    "commands:\n"
    "  run           --config FILE [--instance NAME]\n"
    "                the service: consume, process and produce exactly once until SIGTERM\n"
    "  replay        --config FILE --input EVENTS.jsonl|- [--until ISO8601] [--strict] "
    "[--headers]\n"
    "                [--calendar-change INSTANT=FILE]...\n"
    "                dry run: prints every record the service would produce\n"
    "  check-config  --config FILE [--offline]\n"
    "                load and validate the configuration, report every problem, then exit\n"
    "  whatif        --config FILE --variant FILE --input EVENTS.jsonl|- [--until ISO8601]\n"
    "                [--csv FILE] [--html FILE]\n"
    "                replay one history under two configurations and compare, per protocol\n"
    "                and stage, escalations, overdue deadlines and median days to resolution\n"
    "  report        --config FILE (--period 2027H1 | --from DATE --to DATE) [--out DIR]\n"
    "                [--input FACTS.jsonl] [--records]\n"
    "                report.html, summary.csv (report.csv with --records): closed, open and\n"
    "                overdue challenges, monitored counts, from the facts topic (or --input)\n"
    "  webhooks redeliver --config FILE --partner ID [--since ISO8601]\n"
    "                re-queue a partner's dead-lettered webhook deliveries (same webhook-id)\n"
    "  webhooks enable --config FILE --partner ID\n"
    "                call a partner disabled after a 410 Gone again\n"
    "  schema        NAME            print an embedded JSON Schema (e.g. protocol.schema.json)\n";

struct Command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view description;
};

constexpr Command kCommands[] = {
    {"run", "run --config FILE [--instance NAME]",
     "The service: consumes the configured input topics, processes each record and every due\n"
     "deadline, and produces the outputs, state and offsets in one Kafka transaction, until\n"
     "SIGTERM or SIGINT. Logs JSON lines on stderr. Partner signing keys are resolved at start.\n"
     "SIGHUP (or a change of the file) reloads the calendar and recounts open deadlines."},
    {"replay",
     "replay --config FILE --input EVENTS.jsonl|- [--until ISO8601] [--strict] [--headers] "
     "[--calendar-change INSTANT=FILE]...",
     "Dry run: reads records as they would arrive on Kafka ({\"topic\",\"key\",\"headers\",\n"
     "\"value\"} per line; - reads stdin), runs them through the service's engine with a\n"
     "virtual clock, fires every timer due up to --until, and prints each record the service\n"
     "would produce on stdout, webhook calls as topic webhook:<partner>; --headers adds each\n"
     "record's headers (a dead letter's are always shown). Problems per record\n"
     "and a summary (records in, records out per topic, dead letters by class) go to stderr."},
    {"check-config", "check-config --config FILE [--offline] [--changelog]",
     "Loads and validates the service configuration, protocols, calendar, directory and\n"
     "partners, reads the Kafka credentials and the partners' signing keys\n"
     "(CRP_PARTNER_SECRET_<ID>), prints \"ok: N protocols\" and exits. --offline reads no\n"
     "secret (for a machine or CI job that holds none): partner keys and Kafka credentials\n"
     "given as {\"file\"} or {\"env\"} are not resolved, everything else is checked."},
    {"whatif",
     "whatif --config FILE --variant FILE --input EVENTS.jsonl|- [--until ISO8601] [--csv FILE]"
     " [--html FILE]",
     "What-if replay: runs the records of --input (as replay reads them) through the service's\n"
     "engine twice, in this process with a virtual clock, under --config (the baseline) and\n"
     "under --variant (a second service config, e.g. the same file naming a copy of a protocol\n"
     "whose Stage 1 answers in 3 working days instead of 5), and prints per protocol and stage,\n"
     "side by side: escalations (challenges moved on from the stage), overdue deadlines\n"
     "(missed in the stage), challenges closed at the stage and their median working days\n"
     "from raising to closing. --csv and --html write the same figures (mode 0600). Codes and\n"
     "counts only: no case id, name or free text. Give --until to fire the deadlines after\n"
     "the last record (e.g. the end of the history)."},
    {"report",
     "report [--config FILE] (--period P | --from DATE --to DATE) [--out DIR]"
     " [--input FACTS.jsonl] [--records]",
     "Writes report.html and summary.csv (mode 0600) for the period, from the facts topic\n"
     "(--config), or from replay output or fact lines (--input). --period: 2027, 2027H1, 2027Q3\n"
     "or 2027-03. --records also writes report.csv, one row per closed challenge (no case_id)."},
    {"webhooks enable", "webhooks enable --config FILE --partner ID",
     "Enables again a partner disabled after its endpoint answered 410 Gone (it stays\n"
     "disabled across restarts until then): every running dispatcher calls it again."},
    {"webhooks redeliver", "webhooks redeliver --config FILE --partner ID [--since ISO8601]",
     "Re-queues a partner's dead-lettered webhook deliveries from the dead-letter topic, with\n"
     "their original webhook-id, so the partner can deduplicate."},
    {"schema", "schema NAME",
     "Prints an embedded JSON Schema, e.g. protocol.schema.json or\n"
     "inbound/canonical.schema.json."},
};

// How much published calendar data is left is a question about today, whatever
// clock the service later runs on (runtime.clock "event" included).
crp::Instant wall_clock() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Each command accepts its own options only; --help on any of them.
po::options_description options_for(std::string_view command) {
  po::options_description o("options");
  o.add_options()("help,h", "print this help and exit")("version", "print the version and exit");
  if (command == "schema") {
    o.add_options()("name", po::value<std::string>(), "schema name");
    return o;
  }
  o.add_options()("config", po::value<std::string>(), "service configuration file");
  if (command == "run") {
    o.add_options()("instance", po::value<std::string>(),
                    "instance name in transactional.id (default: CRP_INSTANCE, else host name)");
  } else if (command == "replay") {
    o.add_options()("input", po::value<std::string>(), "JSONL records, or - for stdin")(
        "until", po::value<std::string>(), "fire timers due up to this instant (ISO 8601)")(
        "strict", po::bool_switch(), "exit 5 if any record was dead-lettered")(
        "headers", po::bool_switch(), "print every record's headers (CloudEvents ce_*, webhook-*)")(
        "calendar-change", po::value<std::vector<std::string>>(),
        "INSTANT=FILE: from INSTANT on, the bank holidays of FILE (repeatable)");
  } else if (command == "whatif") {
    o.add_options()("variant", po::value<std::string>(),
                    "the second service configuration, compared with --config")(
        "input", po::value<std::string>(), "JSONL records as replay reads them, or - for stdin")(
        "until", po::value<std::string>(), "fire timers due up to this instant (ISO 8601)")(
        "csv", po::value<std::string>(), "also write the comparison as CSV to FILE")(
        "html", po::value<std::string>(), "also write the comparison as an HTML page to FILE");
  } else if (command == "check-config") {
    o.add_options()("offline", po::bool_switch(),
                    "read no secret: partner signing keys, Kafka {file}/{env} values")(
        "changelog", po::bool_switch(),
        "also read the changelog (the config's brokers) and list the open challenges this "
        "configuration would move to a newer protocol version or quarantine");
  } else if (command == "report") {
    o.add_options()("from", po::value<std::string>(), "first date, YYYY-MM-DD")(
        "to", po::value<std::string>(), "last date, YYYY-MM-DD")(
        "period", po::value<std::string>(),
        "2027, 2027H1, 2027Q3 or 2027-03 instead of --from/--to")(
        "records", "also write report.csv, one row per closed challenge")(
        "out", po::value<std::string>()->default_value("."), "output directory")(
        "input", po::value<std::string>(), "facts or replay output (JSONL) instead of the topic");
  } else if (command == "webhooks enable") {
    o.add_options()("partner", po::value<std::string>(), "partner id");
  } else if (command == "webhooks redeliver") {
    o.add_options()("partner", po::value<std::string>(), "partner id")(
        "since", po::value<std::string>(), "dead-lettered at or after this instant (ISO 8601)");
  }
  return o;
}

void print_version(std::ostream& out) {
  out << "crp-adapter " << kVersion << " (librdkafka " << rd_kafka_version_str() << ")\n";
}

void print_help(const Command& c, const po::options_description& options, std::ostream& out) {
  out << "usage: crp-adapter " << c.synopsis << "\n\n"
      << c.description << "\n\n"
      << options << "\n"
      << kExitCodes;
}

void print_summary(const crp::ReplayStats& stats, std::ostream& err) {
  err << "replay summary: " << stats.records << " records in, " << stats.outputs << " records out, "
      << stats.dead_lettered << " dead-lettered\n";
  for (const auto& [topic, n] : stats.out_by_topic) err << "  out  " << topic << ": " << n << "\n";
  for (const auto& [cls, n] : stats.dead_letters_by_class)
    err << "  dead letters  " << cls << ": " << n << "\n";
}

int replay_command(const po::variables_map& vm) {
  crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
  std::optional<crp::Instant> until;
  if (vm.count("until")) {
    until = crp::parse_iso8601(vm["until"].as<std::string>());
    if (!until) {
      std::cerr << "crp-adapter: --until is not an ISO 8601 instant with offset (e.g. "
                   "2027-01-31T00:00:00Z)\n";
      return kExitUsage;
    }
  }
  std::vector<crp::ReplayCalendarChange> calendar_changes;
  if (vm.count("calendar-change")) {
    for (const std::string& option : vm["calendar-change"].as<std::vector<std::string>>()) {
      const std::size_t eq = option.find('=');
      const std::optional<crp::Instant> at =
          eq == std::string::npos ? std::nullopt : crp::parse_iso8601(option.substr(0, eq));
      if (!at || (!calendar_changes.empty() && *at < calendar_changes.back().at)) {
        std::cerr << "crp-adapter: --calendar-change " << option
                  << ": give INSTANT=FILE (e.g. 2027-05-03T09:00:00Z=bank-holidays.json), in "
                     "time order\n";
        return kExitUsage;
      }
      const std::string calendar_file = option.substr(eq + 1);
      calendar_changes.push_back(
          {*at, crp::with_calendar(*config.protocols, crp::json::read_file(calendar_file),
                                   calendar_file)});
    }
  }
  const std::string input = vm["input"].as<std::string>();
  std::ifstream file;
  if (input != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(input, ec)) {
      std::cerr << "crp-adapter: --input " << input
                << " is a directory; give a JSONL file of records, or - for stdin\n";
      return kExitUsage;
    }
    file.open(input);
    if (!file) {
      std::cerr << "crp-adapter: cannot open " << input << "\n";
      return kExitUsage;
    }
  }
  std::ios::sync_with_stdio(false);
  const crp::ReplayStats stats =
      crp::replay(config, input == "-" ? std::cin : file, std::cout, std::cerr, until,
                  vm["headers"].as<bool>(), calendar_changes);
  std::cout.flush();
  if (input == "-" ? std::cin.bad() : file.bad()) {
    std::cerr << "crp-adapter: error reading " << input << "\n";
    return 1;
  }
  print_summary(stats, std::cerr);
  if (vm["strict"].as<bool>() && stats.dead_lettered > 0) {
    std::cerr << "crp-adapter: --strict: " << stats.dead_lettered << " record(s) dead-lettered\n";
    return kExitStrictDeadLetters;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string first = argc < 2 ? "" : argv[1];
  if (argc < 2 || first == "--help" || first == "-h" || first == "help") {
    std::cout << kUsage << "\n" << kExitCodes;
    return argc < 2 ? kExitUsage : 0;
  }
  if (first == "--version" || first == "version") {
    print_version(std::cout);
    return 0;
  }
  // `webhooks redeliver`: a two-word command; its options follow the second word.
  const bool webhooks = first == "webhooks";
  const bool enable = webhooks && argc >= 3 && std::string(argv[2]) == "enable";
  if (webhooks && !enable && (argc < 3 || std::string(argv[2]) != "redeliver")) {
    if (argc >= 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
      const Command& c = *find_command("webhooks redeliver");
      print_help(c, options_for(c.name), std::cout);
      return 0;
    }
    std::cerr << "crp-adapter: webhooks needs a subcommand: redeliver or enable\n" << kUsage;
    return kExitUsage;
  }
  const std::string command =
      enable ? "webhooks enable" : (webhooks ? "webhooks redeliver" : first);
  const Command* spec = find_command(command);
  if (!spec) {
    std::cerr << "crp-adapter: unknown command '" << command << "'\n" << kUsage;
    return kExitUsage;
  }
  const po::options_description options = options_for(command);
  po::positional_options_description positional;
  if (command == "schema") positional.add("name", 1);
  po::variables_map vm;
  const int skip = webhooks ? 2 : 1;
  try {
    po::store(po::command_line_parser(argc - skip, argv + skip)
                  .options(options)
                  .positional(positional)
                  .run(),
              vm);
    po::notify(vm);
    if (vm.count("help")) {
      print_help(*spec, options, std::cout);
      return 0;
    }
    if (vm.count("version")) {
      print_version(std::cout);
      return 0;
    }
    if (command == "schema") {
      if (!vm.count("name")) throw po::error("schema needs a NAME");
      std::cout << crp::json::schema_text(vm["name"].as<std::string>());
      return 0;
    }
    if (command == "report") {
      if (!vm.count("period") && (!vm.count("from") || !vm.count("to")))
        throw po::error("report needs --period P or --from DATE --to DATE");
      crp::report::ReportOptions o;
      if (vm.count("config")) o.config_file = vm["config"].as<std::string>();
      if (vm.count("input")) o.input = vm["input"].as<std::string>();
      if (vm.count("period")) o.period = vm["period"].as<std::string>();
      if (vm.count("from")) o.from = vm["from"].as<std::string>();
      if (vm.count("to")) o.to = vm["to"].as<std::string>();
      o.records = vm.count("records") > 0;
      o.out_dir = vm["out"].as<std::string>();
      return crp::report::run_report(o, std::cout, std::cerr);
    }
    if (!vm.count("config")) throw po::error(command + " needs --config FILE");
    if (command == "run") {
      // The service logs JSON lines only, its refusal to start included.
      try {
        crp::ServiceConfig config =
            crp::load_service_config(vm["config"].as<std::string>(), crp::Secrets::resolve);
        for (const auto& c : crp::calendars_running_out(config, wall_clock())) {
          crp::kafka::log(crp::kafka::LogLevel::warning, crp::describe(c, config.calendar_file),
                          {{"division", c.division},
                           {"published_until",
                            crp::format_iso8601(crp::Instant{c.published_until}).substr(0, 10)},
                           {"days_left", c.days_left.count()}});
        }
        return crp::kafka::run_service(
            config, vm.count("instance") ? vm["instance"].as<std::string>() : "");
      } catch (const crp::json::ConfigError& e) {
        crp::kafka::log(crp::kafka::LogLevel::error, "configuration error",
                        {{"file", e.file()}, {"pointer", e.pointer()}, {"reason", e.reason()}});
        return kExitConfig;
      }
    }
    if (command == "whatif") {
      if (!vm.count("variant")) throw po::error("whatif needs --variant FILE (the second config)");
      if (!vm.count("input")) throw po::error("whatif needs --input FILE (or - for stdin)");
      crp::cli::WhatifOptions o;
      o.baseline_config = vm["config"].as<std::string>();
      o.variant_config = vm["variant"].as<std::string>();
      o.input = vm["input"].as<std::string>();
      if (vm.count("until")) o.until = vm["until"].as<std::string>();
      if (vm.count("csv")) o.csv = vm["csv"].as<std::string>();
      if (vm.count("html")) o.html = vm["html"].as<std::string>();
      return crp::cli::whatif(o, std::cout, std::cerr);
    }
    if (command == "replay") {
      if (!vm.count("input")) throw po::error("replay needs --input FILE (or - for stdin)");
      return replay_command(vm);
    }
    if (enable) {
      if (!vm.count("partner")) throw po::error("webhooks enable needs --partner ID");
      crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
      return crp::webhooks::enable_partner(config, vm["partner"].as<std::string>(), std::cout,
                                           std::cerr);
    }
    if (webhooks) {
      if (!vm.count("partner")) throw po::error("webhooks redeliver needs --partner ID");
      crp::webhooks::RedeliverOptions options{vm["partner"].as<std::string>(), std::nullopt};
      if (vm.count("since")) {
        options.since = crp::parse_iso8601(vm["since"].as<std::string>());
        if (!options.since) {
          std::cerr << "crp-adapter: --since is not an ISO 8601 instant with offset (e.g. "
                       "2027-01-31T00:00:00Z)\n";
          return kExitUsage;
        }
      }
      crp::ServiceConfig config = crp::load_service_config(vm["config"].as<std::string>());
      return crp::webhooks::redeliver(config, options, std::cout, std::cerr);
    }
    // check-config: every problem in one run (adapter/app/check_config.h).
    return crp::cli::check_config({vm["config"].as<std::string>(), vm["offline"].as<bool>(),
                                   wall_clock(), vm["changelog"].as<bool>()},
                                  std::cout, std::cerr);
  } catch (const po::error& e) {
    std::cerr << "crp-adapter: " << e.what() << "\n"
              << "usage: crp-adapter " << spec->synopsis << "\n"
              << "(crp-adapter " << spec->name << " --help for more)\n";
    return kExitUsage;
  } catch (const crp::json::ConfigError& e) {
    std::cerr << "crp-adapter: configuration error: " << e.what() << "\n";
    return kExitConfig;
  } catch (const std::exception& e) {
    std::cerr << "crp-adapter: " << e.what() << "\n";
    return 1;
  }
}
