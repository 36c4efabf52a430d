#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests against a real local Patroni cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
start=$(date +%s)
mvn -B -ntp verify "$@"
echo "[test] all tests passed in $(( $(date +%s) - start )) s"
