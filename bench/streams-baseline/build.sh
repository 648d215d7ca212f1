#!/usr/bin/env bash
# Fetches Kafka Streams 4.1.2 and its dependencies from Maven Central (once,
# into CACHE/streams-baseline/lib, Maven repo CACHE/m2) and compiles
# StreamsBaseline.java into CACHE/streams-baseline/classes. Prints the
# classpath on stdout. Nothing is written into the source tree.
#   bench/streams-baseline/build.sh     # env: CRP_CACHE (.cache)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CRP_CACHE:-$REPO/.cache}
OUT=$CACHE/streams-baseline
LIB=$OUT/lib
if [ ! -f "$LIB/.complete" ] || [ "$HERE/pom.xml" -nt "$LIB/.complete" ]; then
  rm -rf "$LIB.tmp"
  mvn -q -B -f "$HERE/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" >"$OUT.mvn.log" 2>&1 ||
    { cat "$OUT.mvn.log" >&2; echo "streams-baseline: maven could not fetch the jars" >&2; exit 1; }
  touch "$LIB.tmp/.complete"
  rm -rf "$LIB"
  mv "$LIB.tmp" "$LIB"
fi
CLASSES=$OUT/classes
if [ ! -f "$CLASSES/StreamsBaseline.class" ] || [ "$HERE/StreamsBaseline.java" -nt "$CLASSES/StreamsBaseline.class" ]; then
  rm -rf "$CLASSES"
  mkdir -p "$CLASSES"
  javac -Xlint:all -Werror -d "$CLASSES" -cp "$LIB/*" "$HERE/StreamsBaseline.java" >&2
fi
echo "$LIB/*:$CLASSES"
