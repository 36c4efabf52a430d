#!/usr/bin/env bash
# Installs what pgcluster's tests and demo need on Debian 12, only when it is missing.
# Safe to run any number of times. Needs root (or sudo) for apt.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "not root and no sudo: cannot install packages"; exit 1; fi
fi

# Debian's server packages, and the binaries that prove they are installed.
PACKAGES=(postgresql-15 postgresql-client-15 patroni python3-etcd python3-psycopg2 python3-idna
          etcd-server etcd-client pgbouncer haproxy
          zookeeper python3-kazoo    # ZooKeeper as Patroni's DCS (the rig's Dcs.ZOOKEEPER clusters)
          python3-consul             # Consul as Patroni's DCS (Dcs.CONSUL); the agent itself comes from Debian 11 below
          pgbackrest                 # backups to S3 and point-in-time recovery (docs/deploy/pgbackrest.conf)
          prometheus prometheus-postgres-exporter prometheus-pgbouncer-exporter)  # cluster monitoring
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
java_ok=false
if command -v java >/dev/null 2>&1; then
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$v" ] && [ "$v" -ge 17 ] && java_ok=true
fi
$java_ok || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  # No default cluster on :5432: the rig creates its own clusters on free ports.
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/pgcluster.conf >/dev/null
  # Keep package scripts from starting services (etcd, zookeeper, haproxy, pgbouncer) on their fixed ports.
  added_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    added_policy=true
  fi
  trap '$added_policy && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "all packages present"
fi

# What Debian 12 lacks, unpacked (not installed) from other Debian releases into $PGCLUSTER_TOOLS, where the test
# kit looks for them (same variable, or -Dpgcluster.tools): Consul 1.8.7 (Debian 11) and Patroni 4 (Debian 13, run
# with Debian 12's Python next to the installed Patroni 3). Quick when already there; FETCH_DEB_REFRESH=1 rechecks.
TOOLS=${PGCLUSTER_TOOLS:-/opt/pgcluster}
fetch="$(cd "$(dirname "$0")" && pwd)/fetch-deb.sh"
consul_v=$($SUDO env FETCH_DEB_REFRESH="${FETCH_DEB_REFRESH:-0}" bash "$fetch" bullseye consul "$TOOLS/consul")
patroni4_v=$($SUDO env FETCH_DEB_REFRESH="${FETCH_DEB_REFRESH:-0}" bash "$fetch" trixie patroni "$TOOLS/patroni4")
log "consul $consul_v in $TOOLS/consul, patroni $patroni4_v in $TOOLS/patroni4"

# Grafana's dashboard types and tsc at the versions pinned in scripts/grafana-schema/, for GrafanaDashboardTypesTest
# (npm ci into $TOOLS/grafana-schema; again only when the lock file changed).
gs="$(cd "$(dirname "$0")" && pwd)/grafana-schema"
if ! cmp -s "$gs/package-lock.json" "$TOOLS/grafana-schema/package-lock.json" || [ ! -x "$TOOLS/grafana-schema/node_modules/.bin/tsc" ]; then
  command -v npm >/dev/null 2>&1 || { $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm; }
  $SUDO mkdir -p "$TOOLS/grafana-schema" && $SUDO cp "$gs/package.json" "$gs/package-lock.json" "$TOOLS/grafana-schema/"
  (cd "$TOOLS/grafana-schema" && $SUDO npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) && log "grafana-schema in $TOOLS/grafana-schema"
fi

# The servers run as 'postgres' (PostgreSQL and PgBouncer refuse root); the package creates that user.
id postgres >/dev/null 2>&1 || { log "user 'postgres' is missing after install"; exit 1; }
log "java: $(java -version 2>&1 | head -n1); maven: $(mvn -v 2>/dev/null | head -n1)"
