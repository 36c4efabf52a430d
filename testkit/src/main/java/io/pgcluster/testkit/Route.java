package io.pgcluster.testkit;

/** Where a new app-user connection through a port (HAProxy, PgBouncer, proxy, node) ended up. Immutable. */
final class Route {
    final String node;
    final boolean inRecovery;

    Route(String node, boolean inRecovery) {
        this.node = node;
        this.inRecovery = inRecovery;
    }

    @Override
    public String toString() {
        return node + (inRecovery ? " (replica)" : " (primary)");
    }
}
