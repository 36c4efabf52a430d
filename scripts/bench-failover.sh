#!/usr/bin/env bash
# Switchovers and kill -9s of the primary under a steady writer and reader load, through pgcluster, pgjdbc multi-host
# URLs and HAProxy (two check timings), on local 3-node Patroni clusters that the harness starts and stops itself.
# Not part of the build or CI.
#
#   bash scripts/bench-failover.sh            # full: 5 switchovers + 5 kills per approach (about 20 min);
#                                             # also redraws docs/img/failover-switchover.svg
#   bash scripts/bench-failover.sh --quick    # 1 of each per approach (about 4 min); leaves docs/ alone
#   options: --reps N  --approaches pgcluster,pgcluster-jdbc,pgcluster-acr,pgcluster-acr-ryw,pgjdbc,haproxy-tight,haproxy-docs
#            --events switchover,kill  --workload tx|autocommit|jpa  --out DIR  --chart FILE.svg
#            --dcs etcd|consul   Patroni's DCS (default etcd); pgcluster's approaches use the matching source,
#                                pgjdbc and HAProxy do not read the DCS
#            --patroni 3|4       Patroni 3.0.x (Debian 12, the default) or 4.0.x (Debian 13, unpacked by setup.sh)
#   BENCH_JAVA_OPTS="-Dpgcluster.bench.set.switchoverDrain=0" bash scripts/bench-failover.sh ...
#                                             # pgcluster with a setting other than its default
#
# Report: benchmarks/target/bench-failover-<time>/summary.md, events.csv, switchover-writes.svg and its data.
# Log of the clients and the rig: benchmarks/target/bench-failover.log. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-build.sh
args=("$@")
case " $* " in
  *" --quick "*|*" --chart "*) ;;
  *) args+=(--chart docs/img/failover-switchover.svg) ;;
esac
java -Xmx2g ${BENCH_JAVA_OPTS:-} -Dorg.slf4j.simpleLogger.logFile=benchmarks/target/bench-failover.log \
  -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
  -Dpgcluster.bench.commit="$BENCH_COMMIT" -cp "$BENCH_CP" io.pgcluster.benchmarks.failover.FailoverHarness "${args[@]}"
