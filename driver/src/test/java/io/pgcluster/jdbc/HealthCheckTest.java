package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.routing.Exclusion;
import io.pgcluster.jdbc.internal.routing.MemberPool;
import io.pgcluster.jdbc.internal.routing.RoutingTable;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Health reports built from routing tables made by hand: no pools, no server. */
class HealthCheckTest {
    private static final MemberPool[] NONE = new MemberPool[0];

    private static Member member(String name, Role role) {
        return new Member(name, "10.0.0." + name.substring(2), 5432, role, "running", 1, 100, 0, Map.of(), null);
    }

    @Test
    void aStandbyClusterIsDownAtOnceAndSaysItHasNoWritableLeader() {
        Topology standby = Topology.builder("demo").member(member("pg1", Role.STANDBY_LEADER))
                .member(member("pg2", Role.REPLICA)).leader("pg1").build();

        ClusterHealth h = new HealthCheck("demo", 30_000).check(new RoutingTable(standby, null, NONE, List.of(), false),
                "etcd");

        assertThat(h.up()).as("writes can never be served").isFalse();
        assertThat(h.leader()).isNull();
        assertThat(h.reason()).isEqualTo("standby cluster: no writable leader (standby leader pg1 (10.0.0.1:5432) "
                + "replicates from another cluster; reads only)");
        assertThat(h.replicas()).extracting(r -> r.member().name()).containsExactly("pg1", "pg2");
    }

    @Test
    void aClusterWithoutLeaderIsAFailoverInProgressNotAStandbyCluster() {
        Topology noLeader = Topology.builder("demo").member(member("pg2", Role.REPLICA)).build();

        ClusterHealth h = new HealthCheck("demo", 30_000).check(new RoutingTable(noLeader, null, NONE, List.of(),
                false), "etcd");

        assertThat(h.up()).isTrue();
        assertThat(h.reason()).startsWith("failover in progress: no leader for ");
    }

    @Test
    void anExcludedReplicaSaysWhyInItsOwnWords() {
        Topology t = Topology.builder("demo").member(member("pg2", Role.REPLICA)).member(member("pg3", Role.REPLICA))
                .member(member("pg4", Role.REPLICA)).build();
        List<Exclusion> excluded = List.of(new Exclusion("pg2", Exclusion.Reason.LAG_TOO_HIGH, 5 << 20, 1 << 20),
                new Exclusion("pg3", Exclusion.Reason.NO_LOAD_BALANCE, 0, 0));

        ClusterHealth h = new HealthCheck("demo", 30_000).check(new RoutingTable(t, null, NONE, excluded, false),
                "etcd");

        assertThat(h.replicas()).extracting(ClusterHealth.Replica::notReadableBecause)
                .containsExactly("lag 5242880 B > maxReplicaLag 1048576 B", "noloadbalance", "not routed");
        assertThat(h.replicas()).extracting(ClusterHealth.Replica::readable).containsOnly(false);
    }
}
