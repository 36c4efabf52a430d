package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The drain decision for an announced switchover: when the leader's pool holds new writes, for how long, and that a
 * holding write fails or proceeds as a write waiting for an absent leader does. Pools point at a closed port, so
 * nothing connects; a write that reaches the old leader fails with "refused connections", one held by the drain
 * with a message naming the drain.
 */
class SwitchoverDrainTest {
    private static final long MS = 1_000_000L;

    private LocalCluster cluster;
    private ClusterView view;
    private Router router;
    private final AtomicLong nanos = new AtomicLong(1_000 * MS);
    private final AtomicLong wallMillis = new AtomicLong(1_800_000_000_000L);

    @BeforeEach
    void setUp() throws Exception {
        setUp("10s");
    }

    private void setUp(String drain) {
        if (cluster != null) {
            cluster.close();
        }
        cluster = new LocalCluster("connectionTimeout", "2s", "switchoverDrain", drain);
        view = cluster.view;
        router = cluster.router;
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private Member member(String name, Role role) {
        return cluster.member(name, role, 0);
    }

    private Topology topology(String leader, Topology.Switchover switchover) {
        String other = leader.equals("pg1") ? "pg2" : "pg1";
        return Topology.builder("demo").member(member(leader, Role.PRIMARY)).member(member(other, Role.REPLICA))
                .member(member("pg3", Role.REPLICA)).leader(leader).pendingSwitchover(switchover).build();
    }

    private SwitchoverDrain fakeClockDrain(long graceMillis) {
        return new SwitchoverDrain("demo", graceMillis * MS, nanos::get, wallMillis::get);
    }

    @Test
    void aSwitchoverAwayFromTheLeaderHoldsNewWritesAndTheErrorSaysWhy() {
        view.publish(topology("pg1", null));
        MemberPool leader = router.table().leader();
        assertThat(leader.isLeaving()).isFalse();

        view.publish(topology("pg1", new Topology.Switchover("pg1", "pg2", null)));

        assertThat(router.table().leader()).isSameAs(leader);
        assertThat(leader.isDraining(System.nanoTime())).isTrue();
        assertThat(leader.isLeaving()).as("a logical connection between transactions gives its connection back")
                .isTrue();
        assertThat(router.table().readers()).as("reads are not touched").hasSize(2);
        assertThatThrownBy(() -> router.acquire(false, null))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("pg1 is draining for a switchover to pg2 that has not happened yet")
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
        assertThat(router.drainHeld()).isEqualTo(1);
        assertThat(leader.isSuspect(System.nanoTime())).as("the old leader was never tried").isFalse();
    }

    @Test
    void withoutTheDrainTheSameWriteGoesToTheOldLeader() {
        setUp("0s");
        view.publish(topology("pg1", new Topology.Switchover("pg1", "pg2", null)));

        assertThat(router.table().leader().isLeaving()).isFalse();
        assertThatThrownBy(() -> router.acquire(false, null))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("pg1 refused connections");
        assertThat(router.drainHeld()).isZero();
    }

    @Test
    void aFailoverKeyNamingNoLeaderDrainsTooButOneForAnotherLeaderOrToTheLeaderDoesNot() {
        view.publish(topology("pg1", new Topology.Switchover(null, "pg2", null)));
        assertThat(router.table().leader().isDraining(System.nanoTime())).isTrue();
        view.publish(topology("pg1", new Topology.Switchover("", "", null)));
        assertThat(router.table().leader().isDraining(System.nanoTime())).as("patronictl failover, no candidate")
                .isTrue();

        view.publish(topology("pg1", new Topology.Switchover("pg3", "pg2", null)));
        assertThat(router.table().leader().isDraining(System.nanoTime())).as("Patroni refuses: leader mismatch")
                .isFalse();
        view.publish(topology("pg1", new Topology.Switchover("pg1", "pg1", null)));
        assertThat(router.table().leader().isDraining(System.nanoTime())).as("already the leader").isFalse();
    }

    @Test
    void aWithdrawnSwitchoverSendsWritesToTheOldLeaderAgain() {
        view.publish(topology("pg1", new Topology.Switchover("pg1", "pg2", null)));
        MemberPool leader = router.table().leader();
        assertThat(leader.isLeaving()).isTrue();

        view.publish(topology("pg1", null));

        assertThat(router.table().leader()).isSameAs(leader);
        assertThat(leader.isLeaving()).isFalse();
        assertThatThrownBy(() -> router.acquire(false, null)).hasMessageContaining("pg1 refused connections");
    }

    @Test
    void theNewLeaderTakesWritesAtOnceEvenWhileTheKeyIsStillThere() {
        view.publish(topology("pg1", new Topology.Switchover("pg1", "pg2", null)));
        MemberPool old = router.table().leader();

        // Patroni's new leader removes the key only after it took the leader lock
        view.publish(topology("pg2", new Topology.Switchover("pg1", "pg2", null)));

        MemberPool now = router.table().leader();
        assertThat(now.member().name()).isEqualTo("pg2");
        assertThat(now.isDraining(System.nanoTime())).isFalse();
        assertThat(old.isDraining(System.nanoTime())).isFalse();
        assertThat(old.isLeaving()).as("retired").isTrue();
    }

    @Test
    void aHeldWriteTriesTheOldLeaderAgainOnceTheGraceHasPassed() {
        setUp("100ms");
        view.publish(topology("pg1", new Topology.Switchover("pg1", "pg2", null)));
        MemberPool leader = router.table().leader();

        // failoverTimeout 300 ms: the wait outlives the 100 ms drain, then the old leader is tried (and refuses)
        assertThatThrownBy(() -> router.acquire(false, null)).hasMessageContaining("pg1 refused connections");
        assertThat(router.drainHeld()).isEqualTo(1);
        assertThat(leader.isSuspect(System.nanoTime())).isTrue();
        assertThat(leader.drain().ranOut()).as("the end of the drain was noticed (and logged)").isTrue();
    }

    @Test
    void theGraceCountsFromTheFirstAnnouncementAndIsNotExtended() {
        view.publish(topology("pg1", null));
        MemberPool leader = router.table().leader();
        SwitchoverDrain drain = fakeClockDrain(1_000);
        Topology pending = topology("pg1", new Topology.Switchover("pg1", "pg2", null));

        drain.apply(pending, leader);
        nanos.addAndGet(900 * MS);
        drain.apply(topology("pg1", new Topology.Switchover("pg1", "pg2", null)), leader);

        assertThat(leader.isDraining(nanos.get())).isTrue();
        assertThat(leader.isDraining(nanos.get() + 100 * MS)).isFalse();

        drain.apply(topology("pg1", new Topology.Switchover("pg1", "pg3", null)), leader);
        assertThat(leader.isDraining(nanos.get() + 100 * MS)).as("another switchover: a new drain").isTrue();
    }

    @Test
    void aScheduledSwitchoverDrainsFromItsTimeNotBefore() {
        view.publish(topology("pg1", null));
        MemberPool leader = router.table().leader();
        SwitchoverDrain drain = fakeClockDrain(1_000);
        // 60 s after the fake wall clock (2027-01-15T08:00:00Z), as Python's isoformat() writes it
        wallMillis.set(java.time.Instant.parse("2027-01-15T08:00:00Z").toEpochMilli());

        drain.apply(topology("pg1", new Topology.Switchover("pg1", "pg2", "2027-01-15T09:01:00.250+01:00")), leader);

        long now = nanos.get();
        assertThat(leader.isDraining(now)).isFalse();
        assertThat(leader.isDraining(now + 60_000 * MS)).isFalse();
        assertThat(leader.isDraining(now + 60_250 * MS)).isTrue();
        assertThat(leader.isDraining(now + 61_249 * MS)).isTrue();
        assertThat(leader.isDraining(now + 61_250 * MS)).isFalse();

        drain.apply(topology("pg1", new Topology.Switchover("pg1", "pg2", "2027-01-15T07:59:00+00:00")), leader);
        assertThat(leader.isDraining(nanos.get())).as("a time already passed: from now").isTrue();

        drain.apply(topology("pg1", new Topology.Switchover("pg1", "pg2", "next tuesday")), leader);
        assertThat(leader.isDraining(nanos.get())).as("Patroni refuses a time it cannot read").isFalse();
    }

    @Test
    void zeroSwitchesTheDrainOff() {
        view.publish(topology("pg1", null));
        MemberPool leader = router.table().leader();
        SwitchoverDrain drain = fakeClockDrain(0);

        drain.apply(topology("pg1", new Topology.Switchover("pg1", "pg2", null)), leader);

        assertThat(drain.enabled()).isFalse();
        assertThat(leader.isLeaving()).isFalse();
    }
}
