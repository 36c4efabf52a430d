package io.pgcluster.jdbc;

import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one cluster looks to pgcluster right now, for health endpoints and dashboards: the leader, the replicas with
 * their lag and whether they get reads, the topology source and the age of what it last said.
 *
 * <p>The cluster is <em>down</em> when no leader has been reachable for longer than {@code failoverTimeout}
 * (no leader in the topology, or the leader refusing connections): writes fail then. Within that window a failover
 * or switchover is in progress; the report stays up and says so in {@link #reason()}. A Patroni standby cluster
 * has no writable leader at all (its {@code standby_leader} replicates from another cluster and serves reads): it is
 * down at once, with the reason {@code standby cluster: no writable leader ...}, and its replicas list includes the
 * standby leader.
 *
 * <p>Thread-safety: immutable.
 *
 * @param up false when writes cannot be served: see above
 * @param reason why the cluster is down, or what is in progress; {@code null} when all is well
 * @param cluster the cluster's name
 * @param leader the leader, or {@code null}
 * @param replicas the running replicas and whether each gets reads
 * @param source what the topology comes from (no secrets)
 * @param sourceReachable whether the source answered at its last attempt
 * @param topologyAgeMillis how old the current topology snapshot is
 * @param leaderUnreachableMillis how long no leader has been reachable (0 when one is)
 * @param paused whether Patroni is paused (no automatic failover)
 * @param pendingSwitchover a requested switchover not yet done, or {@code null}
 */
public record ClusterHealth(boolean up, String reason, String cluster, Member leader, List<Replica> replicas,
        String source, boolean sourceReachable, long topologyAgeMillis, long leaderUnreachableMillis, boolean paused,
        Topology.Switchover pendingSwitchover) {

    /**
     * A running replica and whether it gets reads.
     *
     * @param member the replica as last reported
     * @param readable whether routing sends it reads now
     * @param notReadableBecause why not (lag, tag, refused connections), or {@code null}
     */
    public record Replica(Member member, boolean readable, String notReadableBecause) {
    }

    public ClusterHealth {
        replicas = List.copyOf(replicas);
    }

    /** The report as plain values (strings, numbers, booleans, lists, maps), e.g. for Actuator's details. */
    public Map<String, Object> details() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("cluster", cluster);
        d.put("leader", leader == null ? null : leader.name() + " (" + leader.address() + ")");
        List<Map<String, Object>> rs = new ArrayList<>();
        for (Replica r : replicas) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.member().name());
            m.put("address", r.member().address());
            m.put("lagBytes", r.member().lagBytes());
            m.put("readable", r.readable());
            if (r.notReadableBecause() != null) {
                m.put("notReadableBecause", r.notReadableBecause());
            }
            rs.add(m);
        }
        d.put("replicas", rs);
        d.put("source", source);
        d.put("sourceReachable", sourceReachable);
        d.put("topologyAgeMs", topologyAgeMillis);
        if (leaderUnreachableMillis > 0) {
            d.put("leaderUnreachableMs", leaderUnreachableMillis);
        }
        if (paused) {
            d.put("paused", true);
        }
        if (pendingSwitchover != null) {
            d.put("pendingSwitchover", pendingSwitchover.toString());
        }
        if (reason != null) {
            d.put("reason", reason);
        }
        return d;
    }
}
