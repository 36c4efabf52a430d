package io.pgcluster.benchmarks.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The checker's rules on hand-made histories (times in nanoseconds from an arbitrary origin). */
class CheckerTest {
    private static final long S = 1_000_000_000L;
    private final Ledger ledger = new Ledger(0);

    private static SoakOptions options(boolean sync) {
        SoakOptions d = SoakOptions.defaults();
        return SoakOptions.parse("--sync", Boolean.toString(sync), "--failover-timeout", "30s", "--grace", "2s",
                "--seed", "1").out(d.out());
    }

    @Test
    void aLostAcknowledgedWriteIsAViolationOnlyWithSynchronousMode() {
        Ledger.Writer w = ledger.writer(OpKind.UNIT_WRITE);
        w.acked.set(1, 11);
        BitSet there = new BitSet();
        there.set(1, 10); // 10 is missing
        Checker sync = new Checker(options(true), ledger);
        sync.writes(List.of(w), Map.of(w.id, there));
        assertThat(sync.violations()).extracting(Checker.Violation::invariant)
                .containsExactly("no acknowledged write lost");
        assertThat(sync.lostAcked()).isEqualTo(1);

        Checker async = new Checker(options(false), ledger);
        async.writes(List.of(w), Map.of(w.id, there));
        assertThat(async.violations()).isEmpty();
        assertThat(async.lostAcked()).isEqualTo(1);
        assertThat(async.findings()).singleElement().asString().contains("first ids [10]");
    }

    @Test
    void aWriteReportedAsNotCommittedMustNotBeThereButAnUnknownOneMay() {
        Ledger.Writer w = ledger.writer(OpKind.JDBC_WRITE);
        w.acked.set(1);
        w.unknown.set(2);
        w.notCommitted.set(3);
        BitSet there = new BitSet();
        there.set(1, 4);
        Checker c = new Checker(options(true), ledger);
        c.writes(List.of(w), Map.of(w.id, there));
        assertThat(c.violations()).extracting(Checker.Violation::invariant)
                .containsExactly("no write reported as not committed is present");
        assertThat(c.unknownCommitted()).isEqualTo(1);
    }

    @Test
    void aReadOnThePrimaryIsAViolationOnlyWhenAnEligibleReplicaWasThereThroughoutTheWindow() {
        RoutingLog routing = new RoutingLog(1 << 20, 5 * S);
        routing.add(new RoutingLog.View(0, "pg1", Set.of("pg2", "pg3")));
        routing.add(new RoutingLog.View(100 * S, "pg2", Set.of("pg3")));
        routing.add(new RoutingLog.View(110 * S, "pg2", Set.of()));
        routing.add(new RoutingLog.Suspicion("pg3", 50 * S));

        assertThat(routing.eligibleThroughout(10 * S, 12 * S)).isEqualTo("pg2"); // both eligible, none suspect
        assertThat(routing.eligibleThroughout(50 * S, 51 * S)).isEqualTo("pg2"); // pg3 suspect, pg2 not
        assertThat(routing.eligibleThroughout(99 * S, 101 * S)).isNull(); // the view changed inside the window
        assertThat(routing.eligibleThroughout(111 * S, 112 * S)).isNull(); // no replica eligible
        assertThat(routing.eligibleThroughout(103 * S, 104 * S)).isEqualTo("pg3");

        routing.add(new RoutingLog.Suspicion("pg3", 104 * S));
        assertThat(routing.eligibleThroughout(103 * S, 104 * S)).isNull(); // the only one became suspect

        ledger.primaryRead(new Ledger.InFlight(1, OpKind.JDBC_READ, Thread.currentThread(), 10 * S, 1), 5432);
        Checker c = new Checker(options(true), ledger);
        c.readsOnPrimary(routing);
        // recorded with an end of "now", which lies past every view: the window saw changes, so it is excused
        assertThat(c.violations()).isEmpty();
        assertThat(c.readsExcused()).isEqualTo(1);
    }

    @Test
    void aReadSentToTheLeaderForReadYourWritesExcusesOneReadOnThePrimaryInItsWindow() {
        RoutingLog routing = new RoutingLog(1 << 20, 5 * S);
        routing.add(new RoutingLog.View(0, "pg1", Set.of("pg2"))); // pg2 eligible throughout
        routing.freshToLeaderAt(20 * S);
        // two reads on the primary (recorded with an end of "now"); one read-your-writes decision in their window
        ledger.primaryRead(new Ledger.InFlight(1, OpKind.JDBC_READ, Thread.currentThread(), 10 * S, 1), 5432);
        ledger.primaryRead(new Ledger.InFlight(2, OpKind.JDBC_READ, Thread.currentThread(), 10 * S, 1), 5432);
        Checker c = new Checker(options(true), ledger);
        c.readsOnPrimary(routing);
        assertThat(c.readsForFreshness()).as("one decision excuses one read").isEqualTo(1);
        assertThat(c.violations()).extracting(Checker.Violation::invariant)
                .containsExactly("no read on the primary while an eligible replica existed");
        assertThat(routing.takeFreshToLeader(0, Long.MAX_VALUE)).as("used up").isFalse();
    }

    @Test
    void aFailedUnitIsExcusedOnlyByALeaderlessStretchOfAboutFailoverTimeout() {
        RoleProbe roles = new RoleProbe();
        roles.add(new RoleProbe.Change("pg1", 0, RoleProbe.State.PRIMARY));
        roles.add(new RoleProbe.Change("pg2", 0, RoleProbe.State.REPLICA));
        roles.add(new RoleProbe.Change("pg1", 100 * S, RoleProbe.State.DOWN));
        roles.add(new RoleProbe.Change("pg2", 109 * S, RoleProbe.State.PRIMARY)); // 9 s without a primary
        roles.add(new RoleProbe.Change("pg2", 200 * S, RoleProbe.State.DOWN));
        roles.add(new RoleProbe.Change("pg1", 240 * S, RoleProbe.State.PRIMARY)); // 40 s without a primary

        assertThat(roles.longestGap(90 * S, 120 * S, s -> s == RoleProbe.State.PRIMARY)).isEqualTo(9 * S);
        assertThat(roles.longestGap(105 * S, 120 * S, s -> s == RoleProbe.State.PRIMARY)).isEqualTo(4 * S);
        assertThat(roles.longestGap(190 * S, 235 * S, s -> s == RoleProbe.State.PRIMARY)).isEqualTo(35 * S);
        assertThat(roles.longestGap(90 * S, 120 * S, s -> s != RoleProbe.State.DOWN)).isZero();

        Ledger l = new Ledger(0);
        fail(l, OpKind.UNIT_WRITE, 99 * S, 125 * S, "08006"); // a 9 s failover: must have survived
        fail(l, OpKind.UNIT_WRITE, 200 * S, 231 * S, "08001"); // 31 s without a primary: excused
        Checker c = new Checker(options(true), l);
        c.failures(roles);
        assertThat(c.violations()).singleElement().satisfies(v -> {
            assertThat(v.invariant()).startsWith("no inTransaction unit failed");
            assertThat(v.detail()).contains("+99000 ms").contains("9000 ms");
        });
        assertThat(c.findings()).singleElement().asString().contains("excused");
    }

    @Test
    void withFailoverTimeoutZeroAUnitMayFailOnlyWithoutALeader() {
        RoleProbe roles = new RoleProbe();
        roles.add(new RoleProbe.Change("pg1", 0, RoleProbe.State.PRIMARY));
        roles.add(new RoleProbe.Change("pg1", 10 * S, RoleProbe.State.DOWN));
        roles.add(new RoleProbe.Change("pg2", 11 * S, RoleProbe.State.PRIMARY));
        Ledger l = new Ledger(0);
        fail(l, OpKind.UNIT_WRITE, 5 * S, 5 * S + 1000, "08001"); // a leader throughout: must not fail
        fail(l, OpKind.UNIT_WRITE, 10 * S + 500, 10 * S + 600, "08001"); // no leader at that moment: excused
        Checker c = new Checker(SoakOptions.parse("--failover-timeout", "0s", "--seed", "1"), l);
        c.failures(roles);
        assertThat(c.violations()).singleElement().satisfies(v -> assertThat(v.detail()).contains("+5000 ms"));
    }

    @Test
    void aFailureWithAnUndocumentedSqlStateIsAViolation() {
        ledger.failure(OpKind.JDBC_READ, new SQLException("boom", "08006"));
        ledger.failure(OpKind.JDBC_WRITE, new SQLTransientConnectionException("timeout"));
        ledger.failure(OpKind.JDBC_WRITE, new SQLException("cannot execute INSERT in a read-only transaction",
                "25006"));
        ledger.failure(OpKind.UNIT_READ, new IllegalStateException("no state at all"));
        Checker c = new Checker(options(true), ledger);
        c.failures(new RoleProbe());
        c.noWriteOnReplica(0);
        assertThat(c.violations()).extracting(Checker.Violation::invariant).containsExactlyInAnyOrder(
                "every failure carries a documented SQLState", "every failure carries a documented SQLState",
                "every failure carries a documented SQLState", "no write executed on a replica");
    }

    @Test
    void heapGrowthIsALeakOnlyWhenClear() {
        HeapSampler flat = new HeapSampler();
        HeapSampler leaking = new HeapSampler();
        for (int i = 0; i < 30; i++) {
            flat.add(new HeapSampler.Sample(i * 10_000L, (40L << 20) + (i % 3) * (5L << 20)));
            leaking.add(new HeapSampler.Sample(i * 10_000L, (40L << 20) + i * (8L << 20)));
        }
        assertThat(flat.clearLeak()).isNull();
        assertThat(leaking.clearLeak()).contains("grew by");
        assertThat(leaking.slopeMibPerHour()).isCloseTo(8 * 360, org.assertj.core.data.Offset.offset(1.0));
    }

    @Test
    void optionsParseAndReplay() {
        SoakOptions o = SoakOptions.parse("--duration", "1h", "--fault-every", "30s-60s", "--faults",
                "switchover,kill-primary", "--seed", "42", "--sync", "false");
        assertThat(o.duration()).isEqualTo(Duration.ofHours(1));
        assertThat(o.faults()).containsExactlyInAnyOrder(FaultKind.SWITCHOVER, FaultKind.KILL_PRIMARY);
        assertThat(SoakOptions.parse(o.describe().split(" "))).isEqualTo(o.out(SoakOptions.defaults().out()));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SoakOptions.parse("--duration", "ten"))
                .hasMessageContaining("--duration").hasMessageContaining("'ten'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SoakOptions.parse("--faults", "meteor"))
                .hasMessageContaining("meteor").hasMessageContaining("switchover");
    }

    private static void fail(Ledger l, OpKind kind, long start, long end, String state) {
        l.failedUnitForTest(kind, start, end, state);
    }
}
