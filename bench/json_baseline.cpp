// Baseline of bench/replay_100k.sh: a bare RapidJSON parse-and-serialise of
// every line of a JSONL file (no schema, no engine, no limits), written to
// stdout in 64 KiB blocks. Usage: json_baseline <file.jsonl>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: json_baseline <file.jsonl>\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "json_baseline: cannot open " << argv[1] << "\n";
    return 2;
  }
  rapidjson::StringBuffer out;
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.data(), line.size());
    if (d.HasParseError()) continue;
    rapidjson::Writer<rapidjson::StringBuffer> w(out);
    d.Accept(w);
    out.Put('\n');
    ++lines;
    if (out.GetSize() >= (1 << 16)) {
      std::fwrite(out.GetString(), 1, out.GetSize(), stdout);
      out.Clear();
    }
  }
  std::fwrite(out.GetString(), 1, out.GetSize(), stdout);
  std::cerr << "json_baseline: " << lines << " lines\n";
  return 0;
}
