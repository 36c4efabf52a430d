package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.config.PgClusterConfig.LoadBalance;
import io.pgcluster.jdbc.topology.Topology;
import java.util.List;

/**
 * Where connections go at one moment: the leader's pool and the replicas eligible for reads, derived from one
 * topology snapshot. Rebuilt, never changed.
 *
 * @param topology the snapshot this table was built from
 * @param leader the leader's pool, or {@code null} while there is no leader
 * @param readers pools of replicas eligible for reads, sorted by member name (never modified)
 * @param excluded running replicas left out of {@code readers} and why, for error messages and health reports
 * @param closed whether the data source is closed: nothing may be borrowed
 *
 * <p>Thread-safety: immutable once published (the router never changes the arrays it builds); read by any thread.
 */
public record RoutingTable(Topology topology, MemberPool leader, MemberPool[] readers, List<Exclusion> excluded,
        boolean closed) implements LoadBalance.Candidates {

    /** The number of {@link #readers()}: what load balancing picks among. */
    @Override
    public int size() {
        return readers.length;
    }

    /** Connections in use at reader {@code i}, or -1 while it is suspect. */
    @Override
    public int activeConnections(int i) {
        MemberPool p = readers[i];
        return p.isSuspect(System.nanoTime()) ? -1 : p.activeConnections();
    }
}
