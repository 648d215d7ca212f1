# Writes OUT: a C++ table of every JSON file under ROOT, keyed by its path
# relative to ROOT (e.g. "protocol.schema.json", "inbound/canonical.schema.json").
file(GLOB_RECURSE files RELATIVE ${ROOT} ${ROOT}/*.json)
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  file(READ ${ROOT}/${f} text)
  string(LENGTH "${text}" n)
  # Raw string literal; the delimiter cannot occur in JSON text.
  string(APPEND body "    {\"${f}\", R\"crp_schema(${text})crp_schema\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from schemas/ by cmake/embed_schemas.cmake. Do not edit.\n#include <map>\n#include <string>\nnamespace crp {\nconst std::map<std::string, std::string>& embedded_schemas() {\n  static const std::map<std::string, std::string> table{\n${body}  };\n  return table;\n}\n}  // namespace crp\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
