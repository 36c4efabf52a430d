package io.pgcluster.benchmarks.failover;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one approach's load saw during one event (a switchover or a kill -9 of the primary), measured from the
 * recorded operations, the leader key watch and the node probes. Times are milliseconds relative to the moment the
 * event was triggered ({@code t0}); -1 means "did not happen / not known" where noted.
 *
 * @param approach the approach under test
 * @param kind switchover or kill -9
 * @param repetition 1-based repetition of this kind for this approach
 * @param oldLeader the leader before the event
 * @param newLeader the leader after it
 * @param windowFromMs start of the analyzed window (negative: before t0)
 * @param windowToMs its end (once the load had settled on the new leader)
 * @param keyMs when the leader key was first seen naming {@code newLeader}; -1 if never
 * @param floor the longest time no node committed a probe write (the floor)
 * @param outage the longest time between two successful writes of the load
 * @param firstWriteOnNewLeaderAfterKeyMs first successful write on the new leader minus {@code keyMs}; may be a few
 *     ms negative (the key is polled); -1 if no write reached the new leader or the key was not seen
 * @param firstProbeCommitAfterKeyMs the same for the node probe's first commit on the new leader: the floor of
 *     {@code firstWriteOnNewLeaderAfterKeyMs} (Patroni writes the key, then PostgreSQL completes its promotion)
 * @param clientSawLeaderAfterKeyMs when the client's own topology named the new leader, minus {@code keyMs} (pgcluster
 *     only), often a few ms negative since its watch may beat the harness's poll; {@link #NOT_SEEN} when the client
 *     has no topology, did not name the leader, or the key was not seen
 * @param writesOk successful writes in the window
 * @param readsOk successful reads in the window
 * @param failures failed operations in the window by {@code write:STATE} / {@code read:STATE}
 * @param readsOnPrimary successful reads that ran on a primary
 * @param readsOnPrimaryWhileReplicaHealthy of those, the ones while a node answered as a replica (per the probes)
 * @param readGap the longest time between two successful reads of the load: how long a page that only reads stalled
 * @param longestReadMs the longest single read, successful or not
 * @param staleReads reads of the row their own thread had just written that did not find it
 * @param okWritesPerBucket successful writes per {@link #BUCKET_MS} from {@link #TIMELINE_FROM_MS}
 * @param failedWritesPerBucket failed writes per bucket
 * @param error why the event could not be performed or measured, else {@code null}
 */
record EventResult(Approach approach, EventKind kind, int repetition, String oldLeader, String newLeader,
        long windowFromMs, long windowToMs, long keyMs, Interval floor, Interval outage,
        long firstWriteOnNewLeaderAfterKeyMs, long firstProbeCommitAfterKeyMs, long clientSawLeaderAfterKeyMs,
        int writesOk, int readsOk,
        Map<String, Long> failures, long readsOnPrimary, long readsOnPrimaryWhileReplicaHealthy,
        Interval readGap, long longestReadMs, long staleReads, int[] okWritesPerBucket, int[] failedWritesPerBucket,
        String error) {
    /**
     * {@link #clientSawLeaderAfterKeyMs()} when there is no such time: not -1, which is a real value there (the
     * client's watch named the leader a millisecond before the harness's poll saw the key).
     */
    static final long NOT_SEEN = Long.MIN_VALUE;


    static final int BUCKET_MS = 100;
    static final int TIMELINE_FROM_MS = -2000;
    static final int TIMELINE_TO_MS = 30000;

    /**
     * A stretch of time relative to t0.
     *
     * @param fromMs start
     * @param toMs end
     * @param closed false when it ran into the window's edge (so the true stretch may be longer)
     */
    record Interval(long fromMs, long toMs, boolean closed) {
        long millis() {
            return toMs - fromMs;
        }
    }

    /** The inputs of {@link #analyze}: what was recorded around one event. */
    record Recording(Approach approach, EventKind kind, int repetition, String oldLeader, String newLeader,
            int newLeaderPort, long t0, long windowFrom, long windowTo, long keyNanos, long clientSawNanos,
            List<Op> ops, List<NodeProbes.Sample> samples) {
    }

    boolean failed() {
        return error != null;
    }

    long writeFailures() {
        return count("write:");
    }

    long readFailures() {
        return count("read:");
    }

    /** Writes a replica refused: SQLState 25006 (read-only transaction). */
    long writesRefusedByReplica() {
        return failures.getOrDefault("write:25006", 0L);
    }

    /** How much longer the load's write outage was than the floor. */
    long outageOverFloorMs() {
        return outage.millis() - floor.millis();
    }

    private long count(String prefix) {
        return failures.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /** Measures one recorded event. */
    static EventResult analyze(Recording r) {
        long t0 = r.t0();
        int buckets = (TIMELINE_TO_MS - TIMELINE_FROM_MS) / BUCKET_MS;
        int[] ok = new int[buckets];
        int[] bad = new int[buckets];
        Map<String, Long> failures = new TreeMap<>();
        int writesOk = 0;
        int readsOk = 0;
        long onPrimary = 0;
        long onPrimaryWithReplica = 0;
        long firstOnNewLeader = -1;
        List<Long> writeEnds = new java.util.ArrayList<>();
        List<Long> readEnds = new java.util.ArrayList<>();
        long longestRead = 0;
        long stale = 0;
        for (Op op : r.ops()) {
            long end = op.endNanos();
            if (end - r.windowFrom() < 0 || end - r.windowTo() >= 0) {
                continue;
            }
            if (!op.write()) {
                longestRead = Math.max(longestRead, end - op.startNanos());
            }
            if (op.write()) {
                int b = (int) Math.floorDiv(ms(end - t0) - TIMELINE_FROM_MS, BUCKET_MS);
                if (b >= 0 && b < buckets) {
                    (op.ok() ? ok : bad)[b]++;
                }
            }
            if (!op.ok()) {
                failures.merge((op.write() ? "write:" : "read:") + op.sqlState(), 1L, Long::sum);
                continue;
            }
            if (op.write()) {
                writesOk++;
                writeEnds.add(end);
                if (op.port() == r.newLeaderPort() && end - t0 >= 0
                        && (firstOnNewLeader == -1 || end - firstOnNewLeader < 0)) {
                    firstOnNewLeader = end;
                }
            } else {
                readsOk++;
                readEnds.add(end);
                if (op.stale()) {
                    stale++;
                }
                if (op.readOnPrimary()) {
                    onPrimary++;
                    if (NodeProbes.replicaHealthyAt(r.samples(), end)) {
                        onPrimaryWithReplica++;
                    }
                }
            }
        }
        NodeProbes.Gap floor = NodeProbes.longestWriteGap(r.samples(), r.windowFrom(), r.windowTo());
        long key = r.keyNanos();
        long firstCommit = -1;
        for (NodeProbes.Sample s : r.samples()) {
            if (s.node().equals(r.newLeader()) && s.state() == NodeProbes.State.PRIMARY && s.nanos() - t0 >= 0
                    && (firstCommit == -1 || s.nanos() - firstCommit < 0)) {
                firstCommit = s.nanos();
            }
        }
        return new EventResult(r.approach(), r.kind(), r.repetition(), r.oldLeader(), r.newLeader(),
                ms(r.windowFrom() - t0), ms(r.windowTo() - t0), key == -1 ? -1 : ms(key - t0),
                new Interval(ms(floor.fromNanos() - t0), ms(floor.toNanos() - t0), floor.closed()),
                longestGap(writeEnds, r.windowFrom(), r.windowTo(), t0),
                key == -1 || firstOnNewLeader == -1 ? -1 : ms(firstOnNewLeader - key),
                key == -1 || firstCommit == -1 ? -1 : ms(firstCommit - key),
                key == -1 || r.clientSawNanos() == -1 ? NOT_SEEN : ms(r.clientSawNanos() - key),
                writesOk, readsOk, failures, onPrimary, onPrimaryWithReplica,
                longestGap(readEnds, r.windowFrom(), r.windowTo(), t0), ms(longestRead), stale, ok, bad, null);
    }

    /** An event that could not be performed or measured. */
    /** Whether {@link #clientSawLeaderAfterKeyMs()} is a measurement (-1 ms is one). */
    boolean clientSawLeaderKnown() {
        return clientSawLeaderAfterKeyMs != NOT_SEEN;
    }

    static EventResult failedEvent(Approach a, EventKind kind, int repetition, String oldLeader, String error) {
        return new EventResult(a, kind, repetition, oldLeader, null, 0, 0, -1, new Interval(0, 0, false),
                new Interval(0, 0, false), -1, -1, NOT_SEEN, 0, 0, Map.of(), 0, 0, new Interval(0, 0, false), 0, 0,
                new int[0], new int[0], error);
    }

    /** The longest stretch between consecutive successful operations (their ends), or to the window's edges. */
    static Interval longestGap(List<Long> ends, long from, long to, long t0) {
        long[] e = ends.stream().mapToLong(Long::longValue).sorted().toArray();
        if (e.length == 0) {
            return new Interval(ms(from - t0), ms(to - t0), false);
        }
        long bestFrom = from;
        long bestTo = e[0];
        boolean closed = false;
        for (int i = 1; i < e.length; i++) {
            if (e[i] - e[i - 1] > bestTo - bestFrom) {
                bestFrom = e[i - 1];
                bestTo = e[i];
                closed = true;
            }
        }
        if (to - e[e.length - 1] > bestTo - bestFrom) {
            bestFrom = e[e.length - 1];
            bestTo = to;
            closed = false;
        }
        return new Interval(ms(bestFrom - t0), ms(bestTo - t0), closed);
    }

    private static long ms(long nanos) {
        return Math.floorDiv(nanos, 1_000_000L);
    }
}
