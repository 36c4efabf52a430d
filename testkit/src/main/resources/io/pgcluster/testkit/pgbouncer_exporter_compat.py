# Runs Debian 12's prometheus-pgbouncer-exporter (1.7) against PgBouncer 1.8 and newer (Debian 12 ships 1.18).
#
# Why: the exporter reads SHOW STATS column "total_requests", which PgBouncer 1.8 renamed to "total_query_count";
# unchanged, it stops at start with KeyError: 'total_requests'. It also exports no server-side pool counts, which a
# saturation alert needs. This wrapper keeps the exporter's own metric names and adds, from SHOW POOLS:
#   pgbouncer_active_servers{database,user}   sv_active: server connections linked to a client
#   pgbouncer_idle_servers{database,user}     sv_idle: server connections idle and ready
#   pgbouncer_used_servers_pool{database,user} sv_used: server connections idle longer than server_check_delay
#   pgbouncer_max_wait_seconds{database,user} maxwait: how long the oldest waiting client has waited
# Usage: python3 pgbouncer_exporter_compat.py <the exporter's own options>
# Where the prometheus-community pgbouncer_exporter can be installed, prefer it (its metric names differ).
import sys

from prometheus_pgbouncer_exporter import cli, collectors

_rows = collectors.get_data_by_named_column


def _compatible_rows(connection, key):
    rows = _rows(connection, key)
    if key == 'STATS':
        for row in rows:
            row.setdefault('total_requests', row.get('total_query_count', 0))
    return rows


collectors.get_data_by_named_column = _compatible_rows
collectors.PoolsCollector.metrics = dict(
    collectors.PoolsCollector.metrics,
    sv_active=('active_servers', "Server connections linked to a client connection"),
    sv_idle=('idle_servers', "Server connections unused and immediately usable"),
    sv_used=('used_servers_pool', "Server connections idle longer than server_check_delay"),
    maxwait=('max_wait_seconds', "Seconds the oldest waiting client has waited"),
)

if __name__ == '__main__':
    sys.exit(cli.main())
