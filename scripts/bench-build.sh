#!/usr/bin/env bash
# Sourced by bench-overhead.sh and bench-failover.sh (not run on its own): installs what is missing, builds the
# driver, the test kit and the benchmarks, and copies the benchmarks' class path into a private folder, so that a
# rebuild of the driver while a long run is going (yours, or a parallel build in the same tree) cannot pull jars or
# classes from under it. Sets BENCH_CP (the folder is deleted when the calling script exits) and BENCH_COMMIT.
bash scripts/setup.sh
echo "[bench] building the driver, the test kit and the benchmarks ..."
mvn -B -ntp -q -pl benchmarks -am package -DskipTests
BENCH_LIB=$(mktemp -d "${TMPDIR:-/tmp}/pgcluster-bench-lib.XXXXXX")
trap 'rm -rf "$BENCH_LIB"' EXIT
cp -r benchmarks/target/classes "$BENCH_LIB/classes"
BENCH_CP="$BENCH_LIB/classes"
n=0
IFS=: read -ra bench_jars < benchmarks/target/classpath.txt || true  # the file has no final newline
for jar in "${bench_jars[@]}"; do
  n=$((n + 1))
  cp "$jar" "$BENCH_LIB/$n-$(basename "$jar")"
  BENCH_CP="$BENCH_CP:$BENCH_LIB/$n-$(basename "$jar")"
done
export BENCH_CP
# Which pgcluster was measured: the commit, and whether driver/ or testkit/ had uncommitted changes.
BENCH_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD -- driver/src testkit/src 2>/dev/null || BENCH_COMMIT="$BENCH_COMMIT with local changes"
export BENCH_COMMIT
