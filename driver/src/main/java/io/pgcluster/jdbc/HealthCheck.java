package io.pgcluster.jdbc;

import io.pgcluster.jdbc.internal.routing.Exclusion;
import io.pgcluster.jdbc.internal.routing.MemberPool;
import io.pgcluster.jdbc.internal.routing.RoutingTable;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds {@link ClusterHealth} reports from the routing table, remembering since when no leader has been reachable.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class HealthCheck {
    private final String cluster;
    private final long failoverTimeoutMillis;
    private final long startNanos = System.nanoTime();
    private final AtomicLong unreachableSince = new AtomicLong();

    HealthCheck(String cluster, long failoverTimeoutMillis) {
        this.cluster = cluster;
        this.failoverTimeoutMillis = failoverTimeoutMillis;
    }

    ClusterHealth check(RoutingTable table, String source) {
        long now = System.nanoTime();
        Topology topology = table.topology();
        MemberPool leaderPool = table.leader();
        boolean reachable = leaderPool != null && !leaderPool.isSuspect(now);
        long since;
        if (reachable) {
            unreachableSince.set(0);
            since = 0;
        } else {
            unreachableSince.compareAndSet(0, topology.isKnown() ? now : startNanos);
            since = unreachableSince.get();
        }
        long unreachableMillis = reachable ? 0 : Math.max(0, (now - since) / 1_000_000L);
        boolean up = reachable || unreachableMillis < failoverTimeoutMillis;
        String reason = null;
        if (table.closed()) {
            up = false;
            reason = "the data source is closed";
        } else if (!reachable && topology.standbyLeader() != null) {
            // no failover will bring a writable leader: the whole cluster replicates from another one
            up = false;
            reason = "standby cluster: no writable leader (standby leader " + topology.standbyLeader().name() + " ("
                    + topology.standbyLeader().address() + ") replicates from another cluster; reads only)";
        } else if (!reachable) {
            String what;
            if (!topology.isKnown()) {
                what = "topology unknown (" + topology.sourceProblem() + ")";
            } else if (topology.leader() == null) {
                what = "no leader";
            } else {
                what = "leader " + topology.leader().name() + " refuses connections ("
                        + (leaderPool == null ? "no pool" : leaderPool.suspectReason()) + ")";
            }
            reason = (up ? "failover in progress: " : "") + what + " for " + unreachableMillis
                    + " ms (failoverTimeout " + failoverTimeoutMillis + " ms)";
        }
        List<ClusterHealth.Replica> replicas = new ArrayList<>();
        for (Member m : topology.replicas()) {
            replicas.add(replica(table, m, now));
        }
        return new ClusterHealth(up, reason, cluster, topology.leader(), replicas, source, topology.sourceReachable(),
                topology.ageMillis(), unreachableMillis, topology.paused(), topology.pendingSwitchover());
    }

    private static ClusterHealth.Replica replica(RoutingTable table, Member m, long now) {
        for (MemberPool p : table.readers()) {
            if (p.member().name().equals(m.name())) {
                return p.isSuspect(now) ? new ClusterHealth.Replica(m, false, "refuses connections: "
                        + p.suspectReason()) : new ClusterHealth.Replica(m, true, null);
            }
        }
        for (Exclusion e : table.excluded()) {
            if (e.member().equals(m.name())) {
                return new ClusterHealth.Replica(m, false, e.why());
            }
        }
        return new ClusterHealth.Replica(m, false, "not routed");
    }
}
