package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.benchmarks.failover.NodeProbes.Sample;
import io.pgcluster.benchmarks.failover.NodeProbes.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventResultTest {
    private static final long MS = 1_000_000L;
    /** The event is triggered at t0 = 10 s, so that times before it stay positive. */
    private static final long T0 = 10_000 * MS;
    private static final int OLD = 5432;
    private static final int NEW = 5433;

    private static long at(long ms) {
        return T0 + ms * MS;
    }

    /** A switchover as a load might see it: writes every 10 ms on the old leader, a pause, then the new one. */
    private static EventResult.Recording recording(List<Op> ops, List<Sample> samples, long keyMs) {
        return new EventResult.Recording(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1, "pg1", "pg2", NEW, T0, at(-2000),
                at(5000), keyMs == -1 ? -1 : at(keyMs), -1, ops, samples);
    }

    private static List<Op> writes(long fromMs, long toMs, int port) {
        List<Op> l = new ArrayList<>();
        for (long t = fromMs; t < toMs; t += 10) {
            l.add(Op.success(true, at(t) - MS, at(t), port, false));
        }
        return l;
    }

    /** Probe commits every 5 ms in [fromMs, toMs). */
    private static List<Sample> probes(String node, long fromMs, long toMs) {
        List<Sample> l = new ArrayList<>();
        for (long t = fromMs; t < toMs; t += 5) {
            l.add(new Sample(node, at(t), State.PRIMARY));
        }
        return l;
    }

    @Test
    void measuresTheOutageAgainstTheFloorAndTheKey() {
        List<Op> ops = new ArrayList<>(writes(-2000, 600, OLD));
        ops.addAll(writes(2100, 5000, NEW));
        ops.add(Op.failure(true, at(650), at(700), "08006"));
        ops.add(Op.failure(true, at(700), at(710), "08006"));
        ops.add(Op.failure(true, at(800), at(900), "25006"));
        List<Sample> samples = new ArrayList<>(probes("pg1", -2000, 600));
        samples.addAll(probes("pg2", 2050, 5000));

        EventResult r = EventResult.analyze(recording(ops, samples, 1900));

        assertThat(r.outage().fromMs()).isEqualTo(590);
        assertThat(r.outage().toMs()).isEqualTo(2100);
        assertThat(r.outage().closed()).isTrue();
        assertThat(r.floor().millis()).isEqualTo(2050 - 595);
        assertThat(r.outageOverFloorMs()).isEqualTo(1510 - 1455);
        assertThat(r.keyMs()).isEqualTo(1900);
        assertThat(r.firstWriteOnNewLeaderAfterKeyMs()).isEqualTo(200);
        assertThat(r.failures()).isEqualTo(Map.of("write:08006", 2L, "write:25006", 1L));
        assertThat(r.writeFailures()).isEqualTo(3);
        assertThat(r.readFailures()).isZero();
        assertThat(r.writesRefusedByReplica()).isEqualTo(1);
        assertThat(r.writesOk()).isEqualTo(260 + 290);
    }

    @Test
    void bucketsCountWritesRelativeToTheEvent() {
        List<Op> ops = List.of(Op.success(true, at(-1), at(0), OLD, false), Op.success(true, at(1), at(99), OLD, false),
                Op.failure(true, at(100), at(150), "08001"), Op.success(false, at(0), at(10), NEW, true));
        EventResult r = EventResult.analyze(recording(ops, List.of(), -1));
        int zero = -EventResult.TIMELINE_FROM_MS / EventResult.BUCKET_MS;
        assertThat(r.okWritesPerBucket()[zero]).isEqualTo(2);
        assertThat(r.failedWritesPerBucket()[zero + 1]).isEqualTo(1);
        assertThat(r.readsOk()).isEqualTo(1);
        assertThat(r.keyMs()).isEqualTo(-1);
        assertThat(r.firstWriteOnNewLeaderAfterKeyMs()).as("no key seen").isEqualTo(-1);
    }

    @Test
    void readsOnThePrimaryCountSeparatelyWhenAReplicaWasHealthy() {
        List<Op> ops = List.of(
                Op.success(false, at(0), at(100), NEW, false),     // on a primary, pg3 healthy
                Op.success(false, at(900), at(1000), NEW, false),  // on a primary, pg3's last probe is old
                Op.success(false, at(0), at(100), 5434, true));    // on a replica
        List<Sample> samples = List.of(new Sample("pg3", at(90), State.REPLICA));
        EventResult r = EventResult.analyze(recording(ops, samples, -1));
        assertThat(r.readsOnPrimary()).isEqualTo(2);
        assertThat(r.readsOnPrimaryWhileReplicaHealthy()).isEqualTo(1);
    }

    @Test
    void operationsOutsideTheWindowAreIgnored() {
        List<Op> ops = List.of(Op.failure(true, at(-3000), at(-2500), "08006"),
                Op.failure(false, at(5000), at(5001), "08001"));
        EventResult r = EventResult.analyze(recording(ops, List.of(), -1));
        assertThat(r.failures()).isEmpty();
        assertThat(r.outage().closed()).as("no write at all: the whole window, open").isFalse();
        assertThat(r.outage().millis()).isEqualTo(7000);
    }

    @Test
    void readStallsAreTheLongestTimeWithoutASuccessfulReadAndStaleReadsAreCounted() {
        List<Op> ops = new ArrayList<>();
        for (long t = -2000; t < 5000; t += 10) {
            if (t < 300 || t >= 2400) {
                ops.add(Op.autoCommitRead(at(t) - MS, at(t), 5434, true, false));
            }
        }
        ops.add(Op.autoCommitReadFailure(at(300), at(1300), "08006"));        // a failure does not end the stall
        ops.add(Op.success(false, at(290), at(2400) + MS, 5434, true));       // the longest read, 2111 ms
        ops.add(Op.autoCommitRead(at(3000), at(3001), 5434, true, true));   // stale: its own row not found
        ops.add(Op.autoCommitRead(at(3000), at(3002), OLD, false, true));    // stale, and on the primary

        EventResult r = EventResult.analyze(recording(ops, List.of(), -1));

        assertThat(r.readGap().fromMs()).isEqualTo(290);
        assertThat(r.readGap().toMs()).isEqualTo(2400);
        assertThat(r.readGap().closed()).isTrue();
        assertThat(r.longestReadMs()).isEqualTo(2111);
        assertThat(r.staleReads()).isEqualTo(2);
        assertThat(r.readFailures()).isEqualTo(1);
        assertThat(r.readsOnPrimary()).isEqualTo(1);
    }

    @Test
    void autoCommitReadsOnThePrimaryDoNotCountAsReadOnlyTransactionsThere() {
        assertThat(Op.autoCommitRead(0, 1, OLD, false, false).readOnPrimary()).isTrue();
        assertThat(Op.autoCommitRead(0, 1, OLD, false, false).readOnlyOnPrimary()).isFalse();
        assertThat(Op.success(false, 0, 1, OLD, false).readOnlyOnPrimary()).isTrue();
        assertThat(Op.success(true, 0, 1, OLD, false).readOnlyOnPrimary()).as("a write").isFalse();
    }

    @Test
    void aClientThatSawTheLeaderOneMillisecondBeforeThePollIsNotReportedAsNeverSeen() {
        // pgcluster's watch often beats the harness's 10 ms poll; -1 ms is then a measurement, not "not seen"
        EventResult.Recording r = recording(writes(0, 3000, NEW), List.of(), 1500);
        EventResult e = EventResult.analyze(new EventResult.Recording(r.approach(), r.kind(), r.repetition(),
                r.oldLeader(), r.newLeader(), r.newLeaderPort(), r.t0(), r.windowFrom(), r.windowTo(), r.keyNanos(),
                at(1500) - MS / 5, r.ops(), r.samples()));
        assertThat(e.clientSawLeaderAfterKeyMs()).isEqualTo(-1);
        assertThat(e.clientSawLeaderKnown()).isTrue();
        assertThat(FailoverReport.line(e)).contains("client saw leader -1 ms after key");
        EventResult never = EventResult.analyze(recording(writes(0, 3000, NEW), List.of(), 1500));
        assertThat(never.clientSawLeaderKnown()).isFalse();
        assertThat(FailoverReport.line(never)).contains("client saw leader n/a after key");
    }
}
