package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Routing decisions that need no server: eligibility, fallback, waiting for a leader and its error message. Pools
 * point at a closed port and keep no idle connections, so nothing connects unless a test asks it to.
 */
class RouterTest {
    private LocalCluster cluster;
    private Pools pools;
    private ClusterView view;
    private Router router;
    private int closedPort;

    @BeforeEach
    void setUp() throws Exception {
        setUp("leader");
    }

    private void setUp(String fallback) {
        setUp(fallback, "300ms");
    }

    private void setUp(String fallback, String failoverTimeout) {
        setUp(fallback, failoverTimeout, "10s");
    }

    private void setUp(String fallback, String failoverTimeout, String suspectTimeout) {
        if (cluster != null) {
            cluster.close();
        }
        cluster = new LocalCluster("failoverTimeout", failoverTimeout, "maxReplicaLag", "1MB", "readFallback",
                fallback, "connectionTimeout", "2s", "suspectTimeout", suspectTimeout);
        pools = cluster.pools;
        view = cluster.view;
        router = cluster.router;
        closedPort = cluster.closedPort;
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private Member member(String name, Role role, long lag, Map<String, String> tags) {
        return member(name, role, lag, tags, closedPort);
    }

    private Member member(String name, Role role, long lag, Map<String, String> tags, int port) {
        return new Member(name, "127.0.0.1", port, role, "running", 1, 100, lag, tags, null);
    }

    @Test
    void onlyEligibleReplicasGetReads() {
        view.publish(Topology.builder("demo")
                .member(member("pg1", Role.PRIMARY, 0, Map.of()))
                .member(member("pg2", Role.REPLICA, 0, Map.of()))
                .member(member("pg3", Role.REPLICA, 2 << 20, Map.of()))
                .member(member("pg4", Role.REPLICA, -1, Map.of()))
                .member(member("pg5", Role.REPLICA, 0, Map.of("noloadbalance", "true")))
                .member(new Member("pg6", "127.0.0.1", closedPort, Role.REPLICA, "starting", 1, 0, 0, Map.of(), null))
                .leader("pg1").build());

        RoutingTable t = router.table();
        assertThat(t.leader().member().name()).isEqualTo("pg1");
        assertThat(Arrays.stream(t.readers()).map(p -> p.member().name())).containsExactly("pg2");
        assertThat(t.excluded()).containsExactly(new Exclusion("pg3", Exclusion.Reason.LAG_TOO_HIGH, 2 << 20, 1 << 20),
                new Exclusion("pg4", Exclusion.Reason.LAG_UNKNOWN, 0, 0),
                new Exclusion("pg5", Exclusion.Reason.NO_LOAD_BALANCE, 0, 0));
        assertThat(t.excluded()).map(Exclusion::toString).containsExactly(
                "pg3 (lag 2097152 B > maxReplicaLag 1048576 B)", "pg4 (lag unknown)", "pg5 (noloadbalance)");
        assertThat(pools.state().reads().keySet()).as("pools exist for running replicas even when lagging")
                .containsExactlyInAnyOrder("pg2", "pg3", "pg4");
    }

    @Test
    void leaderChangeRetiresTheOldWritePool() {
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of()))
                .member(member("pg2", Role.REPLICA, 0, Map.of())).leader("pg1").build());
        MemberPool oldWrite = router.table().leader();
        MemberPool oldRead = router.table().readers()[0];
        view.publish(Topology.builder("demo").member(member("pg1", Role.REPLICA, 0, Map.of()))
                .member(member("pg2", Role.PRIMARY, 0, Map.of())).leader("pg2").build());

        assertThat(router.table().leader().member().name()).isEqualTo("pg2");
        assertThat(router.table().leader()).isNotSameAs(oldWrite);
        assertThat(router.table().readers()[0].member().name()).isEqualTo("pg1");
        assertThatThrownBy(() -> oldWrite.borrow(100)).isInstanceOf(MemberPool.RetiredPoolException.class);
        assertThatThrownBy(() -> oldRead.borrow(100)).isInstanceOf(MemberPool.RetiredPoolException.class);
    }

    @Test
    void writesWaitForALeaderThenNameTheClusterAndTheLastLeader() {
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of())).leader("pg1").build());
        view.publish(Topology.builder("demo").member(member("pg2", Role.REPLICA, 0, Map.of())).build());

        long start = System.nanoTime();
        assertThatThrownBy(() -> router.acquire(false, null))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("no leader for cluster 'demo' (scope demo) after waiting 3")
                .hasMessageContaining("ms (failoverTimeout 300 ms)")
                .hasMessageContaining("last known leader: pg1 (127.0.0.1:" + closedPort + ")")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
        assertThat((System.nanoTime() - start) / 1_000_000L).isGreaterThanOrEqualTo(290);
    }

    @Test
    void anUnreachableLeaderBecomesSuspectAndTheErrorSaysWhy() {
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of())).leader("pg1").build());

        assertThatThrownBy(() -> router.acquire(false, null))
                .hasMessageContaining("pg1 refused connections: ").hasMessageContaining("Connection")
                .isInstanceOf(io.pgcluster.jdbc.internal.failover.ClusterUnavailableException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
        assertThat(router.table().leader().isSuspect(System.nanoTime())).isTrue();
    }

    @Test
    void readsFallBackToTheLeaderOrFailAsConfigured() {
        tearDown();
        setUp("fail");
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of()))
                .member(member("pg2", Role.REPLICA, 5 << 20, Map.of())).leader("pg1").build());

        assertThatThrownBy(() -> router.acquire(true, null))
                .hasMessageContaining("no replica of cluster 'demo' can take reads (pg2 (lag 5242880 B > "
                        + "maxReplicaLag 1048576 B)) and readFallback=fail")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
    }

    /**
     * A replica whose pool cannot open a connection is failing, not saturated, even when its suspicion has already
     * run out (PartitionIT saw it: a blackholed replica's connection attempts outlast suspectTimeout): the read moves
     * on (here to the leader) instead of reporting HikariCP's pool timeout for the failing replica.
     */
    @Test
    void aReplicaThatCannotOpenAConnectionIsPassedOverEvenWhenNoLongerSuspect() {
        tearDown();
        setUp("leader", "300ms", "0s");
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of()))
                .member(member("pg2", Role.REPLICA, 0, Map.of())).leader("pg1").build());

        assertThatThrownBy(() -> router.acquire(true, null)).hasMessageContaining("no leader for cluster 'demo'")
                .hasMessageNotContaining("read - Connection is not available");
    }

    @Test
    void readsFailingOnEveryReplicaFallBackToTheLeader() {
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of()))
                .member(member("pg2", Role.REPLICA, 0, Map.of())).leader("pg1").build());

        // pg2 refuses connections (suspect), then the fallback leader refuses too: the error is the leader's
        assertThatThrownBy(() -> router.acquire(true, null)).hasMessageContaining("no leader for cluster 'demo'");
        assertThat(router.table().readers()[0].isSuspect(System.nanoTime())).isTrue();
    }

    @Test
    void unknownTopologyMakesReadsWaitThenFail() {
        // failoverTimeout 300 ms, connectionTimeout 2 s: the first answer of the source is waited for up to the longer
        assertThatThrownBy(() -> router.acquire(true, null))
                .hasMessageMatching("(?s)pgcluster: the topology of cluster 'demo' is still unknown after 2\\d{3} ms.*");
    }

    /**
     * A DCS that refuses pgcluster's credentials while nothing is known yet: no leader appears by waiting, so work
     * fails at once with the source's reason (failoverTimeout is a minute here; the guard only tells a wait from none).
     */
    @Test
    void aSourceThatRefusedUsFailsWorkAtOnceWhileNothingIsKnown() {
        tearDown();
        setUp("leader", "60s");
        view.sourceRefused("etcd [127.0.0.1:2379]: etcd refused user 'app': check dcsUser and dcsPassword");
        for (boolean readOnly : new boolean[] {false, true}) {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    () -> assertThatThrownBy(() -> router.acquire(readOnly, null))
                            .hasMessageContaining("check dcsUser and dcsPassword")
                            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001")));
        }
        // an unreachable source, by contrast, may come back: nothing fails before it is waited for
        assertThat(view.current().sourceRefused()).isTrue();
        view.sourceUnreachable("etcd [127.0.0.1:2379]: no answer within 2000 ms");
        assertThat(view.current().sourceRefused()).isFalse();
    }

    @Test
    void failoverTimeoutZeroStillTriesANamedLeader() {
        tearDown();
        setUp("leader", "0");
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of())).leader("pg1").build());

        // 0 means "do not wait for a leader that is absent", not "never borrow": the leader is tried (and refuses)
        assertThatThrownBy(() -> router.acquire(false, null))
                .hasMessageContaining("pg1 refused connections: ")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
        assertThat(router.table().leader().isSuspect(System.nanoTime())).as("a connection was tried").isTrue();
    }

    @Test
    void failoverTimeoutZeroStillLetsReadsFallBackToTheLeader() {
        tearDown();
        setUp("leader", "0");
        view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of())).leader("pg1").build());

        assertThatThrownBy(() -> router.acquire(true, null)).hasMessageContaining("pg1 refused connections: ");
        assertThat(router.table().leader().isSuspect(System.nanoTime())).as("the leader was tried").isTrue();
    }

    @Test
    void anInterruptedWriterStopsAtOnceAndKeepsItsInterrupt() throws Exception {
        tearDown();
        setUp("leader", "3s");
        try (ServerSocket silent = new ServerSocket(0)) { // accepts TCP, never answers: the pool waits to connect
            int port = silent.getLocalPort();
            view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of(), port))
                    .leader("pg1").build());
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> router.acquire(false, null)).isInstanceOf(SQLException.class)
                        .hasMessageContaining("interrupted while waiting for a connection to pg1 of cluster 'demo'")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(router.table().leader().isSuspect(System.nanoTime())).as("the member is not blamed").isFalse();
        }
    }

    @Test
    void anInterruptedReaderStopsAtOnceAndKeepsItsInterrupt() throws Exception {
        tearDown();
        setUp("fail", "3s");
        try (ServerSocket silent = new ServerSocket(0)) {
            view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of()))
                    .member(member("pg2", Role.REPLICA, 0, Map.of(), silent.getLocalPort())).leader("pg1").build());
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> router.acquire(true, null))
                        .hasMessageContaining("interrupted while waiting for a connection to pg2")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void anInterruptedWaitForAnAbsentLeaderSaysSo() {
        view.publish(Topology.builder("demo").member(member("pg2", Role.REPLICA, 0, Map.of())).build());
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> router.acquire(false, null))
                    .hasMessageContaining("interrupted while waiting for a leader of cluster 'demo'")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aStandbyLeaderIsRoutedAsAReplicaNeverAsTheWriteLeader() {
        // a Patroni standby cluster: the leader key is held by a standby_leader, whose REST record carries no lag
        view.publish(Topology.builder("demo")
                .member(new Member("pg1", "127.0.0.1", closedPort, Role.STANDBY_LEADER, "running", 1, 100, -1, Map.of(),
                        null))
                .member(member("pg2", Role.REPLICA, 0, Map.of())).leader("pg1").build());

        RoutingTable t = router.table();
        assertThat(t.topology().leader()).isNull();
        assertThat(t.topology().standbyLeader().name()).isEqualTo("pg1");
        assertThat(t.leader()).as("no write pool").isNull();
        assertThat(pools.state().write()).isNull();
        assertThat(Arrays.stream(t.readers()).map(p -> p.member().name())).containsExactly("pg1", "pg2");
        assertThatThrownBy(() -> router.acquire(false, null))
                .hasMessageContaining("this is a Patroni standby cluster: its standby leader pg1 replicates from "
                        + "another cluster and can never take writes")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
    }

    @Test
    void failoverTimeoutZeroStillWaitsForTheFirstTopology() throws Exception {
        tearDown();
        setUp("leader", "0");
        // the source answers a moment after the data source started (connectionTimeout is 2 s here)
        Thread publisher = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY, 0, Map.of())).leader("pg1")
                    .build());
        });
        publisher.start();
        try {
            assertThatThrownBy(() -> router.acquire(false, null)).as("waited for the topology, then tried pg1")
                    .hasMessageContaining("pg1 refused connections: ");
        } finally {
            publisher.join();
        }
    }
}
