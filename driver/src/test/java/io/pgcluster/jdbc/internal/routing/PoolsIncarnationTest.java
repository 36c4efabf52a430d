package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cluster removed from the DCS and bootstrapped again under the same scope, on the same members and addresses:
 * the pools must not carry connections from the old cluster over. Pools point at a closed port and keep no idle
 * connections, so nothing connects.
 */
class PoolsIncarnationTest {
    private LocalCluster cluster;
    private Pools pools;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new LocalCluster();
        pools = cluster.pools;
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private Topology topology(String systemIdentifier) {
        return Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 0, cluster.closedPort + 1))
                .leader("pg1").systemIdentifier(systemIdentifier).build();
    }

    @Test
    void aNewSystemIdentifierReplacesEveryPool() {
        Topology first = topology("7712170689529606542");
        Pools.State before = pools.apply(Topology.unknown("demo", "start"), first);
        assertThat(before.write()).isNotNull();
        assertThat(before.reads()).containsKey("pg2");

        Pools.State after = pools.apply(first, topology("7712999999999999999"));

        assertThat(after.write()).as("the leader's pool").isNotNull().isNotSameAs(before.write());
        assertThat(after.reads().get("pg2")).as("the replica's pool").isNotNull()
                .isNotSameAs(before.reads().get("pg2"));
        assertThat(before.write().isRetired()).isTrue();
        assertThat(before.reads().get("pg2").isRetired()).isTrue();
    }

    @Test
    void theSameClusterKeepsItsPoolsAndAGapInBetweenIsNoChange() {
        Topology first = topology("7712170689529606542");
        Pools.State before = pools.apply(Topology.unknown("demo", "start"), first);

        Topology unknownId = topology(null); // a source that does not show it, or removed and not yet bootstrapped
        Pools.State during = pools.apply(first, unknownId);
        Pools.State after = pools.apply(unknownId, topology("7712170689529606542")); // a PITR keeps it

        assertThat(during.write()).isSameAs(before.write());
        assertThat(after.write()).isSameAs(before.write());
        assertThat(after.reads().get("pg2")).isSameAs(before.reads().get("pg2"));
    }

    @Test
    void aChangeAcrossAGapIsStillAChange() {
        Topology first = topology("7712170689529606542");
        Pools.State before = pools.apply(Topology.unknown("demo", "start"), first);
        Topology removed = topology(null);
        pools.apply(first, removed);

        Pools.State after = pools.apply(removed, topology("7712999999999999999"));

        assertThat(after.write()).isNotSameAs(before.write());
        assertThat(after.reads().get("pg2")).isNotSameAs(before.reads().get("pg2"));
    }
}
