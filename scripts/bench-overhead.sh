#!/usr/bin/env bash
# pgcluster's hot-path overhead against a raw HikariCP pool on the same PostgreSQL server (JMH), on a local 3-node
# Patroni cluster that the benchmark starts and stops itself. Not part of the build or CI.
#
#   bash scripts/bench-overhead.sh            # full, SELECT 1 and write-then-read: threads 1 and 4, 3 alternating
#                                             # rounds each (about 24 min)
#   bash scripts/bench-overhead.sh --quick    # SELECT 1 only: 1 thread, 1 short round (about 3 min)
#   bash scripts/bench-overhead.sh --alloc    # bytes per op only: 1 thread, longer warm-up, no ratios (about 4 min)
#   bash scripts/bench-overhead.sh --rw       # write-then-read only (read-your-writes off/jvm against HikariCP):
#                                             # 1 thread, 1 short round (about 4 min)
#   options: --rounds N  --threads 1,4  --quiet-wait SECONDS (before each part, for a quiet CPU; default 300)
#            --out DIR
#
# Report: benchmarks/target/bench-overhead-<time>/overhead.md, JMH's JSON beside it. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-build.sh
# JMH's forks inherit these JVM options and the class path.
java -Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dpgcluster.bench.commit="$BENCH_COMMIT" \
  -cp "$BENCH_CP" io.pgcluster.benchmarks.overhead.OverheadRunner "$@"
