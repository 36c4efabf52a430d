#!/usr/bin/env bash
# The main job: starts a local Patroni cluster (etcd, 3 x PostgreSQL, PgBouncer, HAProxy) on loopback and shows
# pgcluster at work on it. Everything it starts is stopped when it ends or on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[demo] building (first run downloads Maven dependencies)..."
mvn -B -ntp -q install -DskipTests -Dmaven.javadoc.skip=true
exec mvn -B -ntp -q -pl testkit exec:java -Dexec.mainClass=io.pgcluster.testkit.RigCli -Dexec.args="demo $*"
