#!/usr/bin/env bash
# Chaos soak with an invariant checker: a local 3-node Patroni cluster (started and stopped by the soak itself), driven
# through pgcluster by writers and readers while a seeded random schedule of faults hits it (switchover, kill -9 of
# the primary or a replica, replica stop/start, etcd restart, network cut of a member, Patroni pause/resume). At the
# end it proves the invariants of docs/reliability.md against the data on the surviving leader. Not part of the build
# (the build runs a short one: SoakIT).
#
#   bash scripts/soak.sh                                  # 10 min, a fault every 30-60 s, synchronous_mode
#   bash scripts/soak.sh --duration 1h                    # the long soak
#   bash scripts/soak.sh --seed 123456                    # replay the fault schedule of an earlier run
#   options: --duration 10m  --fault-every 30s-60s  --faults all|switchover,kill-primary,kill-replica,stop-replica,
#            etcd-restart,network-cut,pause  --seed N  --sync true|false  --writers 2  --readers 2  --pause 20ms
#            --failover-timeout 30s  --retry-max-duration 60s  --socket-timeout 10s  --grace 2s  --heap-interval 10s
#            --out DIR
#
# Exit status 0: no invariant violated; 1: at least one (listed in the report); 2: bad options.
# Report: benchmarks/target/soak/soak-<time>-seed<N>.md (with the exact command and seed).
# Log of pgcluster and the rig: benchmarks/target/soak.log.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-build.sh
mkdir -p benchmarks/target
set +e
java -Xmx1g -Dorg.slf4j.simpleLogger.logFile=benchmarks/target/soak.log \
  -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
  -Dpgcluster.bench.commit="$BENCH_COMMIT" -cp "$BENCH_CP" io.pgcluster.benchmarks.soak.Soak "$@"
status=$?
set -e
exit $status
