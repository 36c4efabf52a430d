#!/usr/bin/env bash
# The main job: starts a local Patroni cluster (etcd, 3 x PostgreSQL 15, PgBouncer, HAProxy) on loopback, runs
# writers and readers through pgcluster, performs a planned switchover and a kill -9 of the primary while they run,
# and prints a summary. Everything it starts is stopped when it ends or on Ctrl-C.
# The demo follows Patroni through the etcd source; the other sources read the same kind of cluster: zookeeper and
# consul (Patroni's keys in ZooKeeper or Consul; the test kit runs both, see docs/testing.md and, for Patroni with
# Consul, docs/deploy/patroni-consul.yml), patroni (REST API), hosts, endpoints (HAProxy's ports).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[demo] building (the first run downloads Maven dependencies) ..."
mvn -B -ntp -q install -DskipTests
exec mvn -B -ntp -q -pl examples/plain-java exec:java -Dexec.mainClass=io.pgcluster.examples.plain.Demo
