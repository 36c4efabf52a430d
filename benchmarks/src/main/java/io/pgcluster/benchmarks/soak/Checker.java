package io.pgcluster.benchmarks.soak;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Proves the soak's invariants from what the application saw ({@link Ledger}), what the driver believed
 * ({@link RoutingLog}), what the servers said ({@link RoleProbe}) and the data on the surviving leader. Each rule is
 * defined in docs/reliability.md; the method comments here say the same in short.
 *
 * <p>Thread-safety: not thread-safe; used once, after the load stopped.
 */
final class Checker {

    /** A broken invariant, with enough detail to find it in the logs. */
    record Violation(String invariant, String detail) {
    }

    /**
     * The SQLStates the application may see, from docs/failover.md: 08001 (no leader within failoverTimeout, or no
     * member for a read), 08006 (the transaction was lost and rolled back), 08007 (outcome of a commit unknown), and
     * 40001/40P01 (serialization failure, deadlock: rolled back).
     */
    static final Set<String> DOCUMENTED = Set.of("08001", "08006", "08007", "40001", "40P01");

    /** What the surviving leader holds for one writer. */
    record Present(BitSet ids) {
    }

    private final SoakOptions options;
    private final Ledger ledger;
    private final List<Violation> violations = new ArrayList<>();
    private final List<String> findings = new ArrayList<>();
    private long lostAcked;
    private long unknownCommitted;
    private long unknownAbsent;
    private long acked;
    private long readsExcused;
    private long readsForFreshness;
    private long excusedUnits;

    Checker(SoakOptions options, Ledger ledger) {
        this.options = options;
        this.ledger = ledger;
    }

    /**
     * No acknowledged write lost: every id whose commit the application saw succeed is on the surviving leader (a
     * violation with {@code synchronous_mode}, a reported count without). No write reported as not committed
     * (08001 before anything was sent, 08006 before COMMIT) is there. Ids whose outcome was unknown may be either.
     *
     * @param present the ids on the leader, by writer id
     */
    void writes(List<Ledger.Writer> writers, Map<Integer, BitSet> present) {
        for (Ledger.Writer w : writers) {
            BitSet there = present.getOrDefault(w.id, new BitSet());
            BitSet lost = (BitSet) w.acked.clone();
            lost.andNot(there);
            acked += w.acked.cardinality();
            if (!lost.isEmpty()) {
                lostAcked += lost.cardinality();
                String detail = String.format(Locale.ROOT, "writer %d (%s): %d acknowledged write(s) missing on the "
                        + "surviving leader, first ids %s", w.id, w.kind.label(), lost.cardinality(), first(lost));
                if (options.synchronousMode()) {
                    violations.add(new Violation("no acknowledged write lost", detail));
                } else {
                    findings.add(detail + " (asynchronous replication: reported, not a violation)");
                }
            }
            BitSet phantom = (BitSet) w.notCommitted.clone();
            phantom.and(there);
            if (!phantom.isEmpty()) {
                violations.add(new Violation("no write reported as not committed is present", String.format(
                        Locale.ROOT, "writer %d: %d write(s) failed with 08001/08006 before COMMIT but are on the "
                                + "leader, ids %s", w.id, phantom.cardinality(), first(phantom))));
            }
            BitSet unknownThere = (BitSet) w.unknown.clone();
            unknownThere.and(there);
            unknownCommitted += unknownThere.cardinality();
            unknownAbsent += w.unknown.cardinality() - unknownThere.cardinality();
            BitSet stray = (BitSet) there.clone();
            stray.andNot(w.acked);
            stray.andNot(w.unknown);
            stray.andNot(w.notCommitted);
            if (!stray.isEmpty()) {
                violations.add(new Violation("no write from nowhere", String.format(Locale.ROOT, "writer %d: %d id(s) "
                        + "on the leader that the application never saw acknowledged or unknown: %s", w.id,
                        stray.cardinality(), first(stray))));
            }
        }
    }

    /**
     * No write executed on a replica: no row on the leader recorded {@code pg_is_in_recovery() = true} when it was
     * inserted, and no write failed with 25006 (read-only transaction: the write reached a replica).
     */
    void noWriteOnReplica(long rowsWrittenInRecovery) {
        if (rowsWrittenInRecovery > 0) {
            violations.add(new Violation("no write executed on a replica", rowsWrittenInRecovery
                    + " row(s) were inserted by a server in recovery"));
        }
        ledger.failuresByState().forEach((key, n) -> {
            if (key.endsWith(":25006") && (key.startsWith("UNIT_WRITE") || key.startsWith("JDBC_WRITE"))) {
                violations.add(new Violation("no write executed on a replica", n + " write(s) failed with 25006 "
                        + "(a read-only transaction): they were sent to a replica; e.g. " + ledger.examples(key)));
            }
        });
    }

    /**
     * No read on the primary while an eligible replica existed: a read answered by a server with
     * {@code pg_is_in_recovery() = false} is a violation when, throughout {@code [start - grace, end + grace]}, the
     * driver's routing view did not change and named an eligible replica that was not suspect, unless pgcluster sent
     * a read to the leader for read-your-writes in that window (its replica had not replayed this JVM's writes
     * within {@code readYourWritesTimeout}: the leader is where the read must go then); each such decision excuses
     * one read.
     */
    void readsOnPrimary(RoutingLog routing) {
        long grace = options.grace().toNanos();
        int reported = 0;
        long n = 0;
        for (Ledger.PrimaryRead r : ledger.primaryReads()) {
            String replica = routing.eligibleThroughout(r.startNanos() - grace, r.endNanos() + grace);
            if (replica == null) {
                readsExcused++;
                continue;
            }
            if (routing.takeFreshToLeader(r.startNanos() - grace, r.endNanos() + grace)) {
                readsForFreshness++;
                continue;
            }
            n++;
            if (reported++ < 10) {
                violations.add(new Violation("no read on the primary while an eligible replica existed",
                        String.format(Locale.ROOT, "%s at +%d ms (took %d ms) answered by port %d, a primary, while "
                                + "%s was eligible throughout", r.kind().label(), ledger.ms(r.startNanos()),
                                (r.endNanos() - r.startNanos()) / 1_000_000L, r.port(), replica)));
            }
        }
        if (n > 10) {
            violations.add(new Violation("no read on the primary while an eligible replica existed",
                    (n - 10) + " more such read(s)"));
        }
        if (ledger.primaryReadsTotal() > Ledger.MAX_KEPT) {
            findings.add((ledger.primaryReadsTotal() - Ledger.MAX_KEPT) + " reads answered by a primary were counted "
                    + "but not kept for checking");
        }
    }

    /**
     * Every failure the application saw carries a documented SQLState ({@link #DOCUMENTED}); and no
     * {@code inTransaction} unit failed while the cluster had a leader within {@code failoverTimeout}: a failed unit
     * is excused only if, during its lifetime, the servers themselves ({@link RoleProbe}) showed no primary (for a
     * write unit) or no running server at all (for a read unit) for a stretch of at least
     * {@code failoverTimeout - grace}, and never without any such stretch (so that with {@code failoverTimeout=0}
     * a unit may fail only while there is no leader).
     */
    void failures(RoleProbe roles) {
        ledger.failuresByState().forEach((key, n) -> {
            String state = key.substring(key.indexOf(':') + 1);
            if (!DOCUMENTED.contains(state)) {
                violations.add(new Violation("every failure carries a documented SQLState", n + " failure(s) "
                        + key + ", e.g. " + ledger.examples(key)));
            }
        });
        long needed = options.failoverTimeout().minus(options.grace()).toNanos();
        for (Ledger.FailedUnit u : ledger.failedUnits()) {
            long gap = roles.longestGap(u.startNanos(), u.endNanos(), u.kind().isWrite()
                    ? s -> s == RoleProbe.State.PRIMARY : s -> s != RoleProbe.State.DOWN);
            if (gap == 0 || gap < needed) {
                violations.add(new Violation("no inTransaction unit failed while the cluster had a leader within "
                        + "failoverTimeout", String.format(Locale.ROOT, "%s started at +%d ms, failed after %d ms with "
                                + "%s; the longest stretch without a %s during it was %d ms (failoverTimeout %d ms): %s",
                                u.kind().label(), ledger.ms(u.startNanos()), (u.endNanos() - u.startNanos()) / 1_000_000L,
                                u.sqlState(), u.kind().isWrite() ? "primary" : "running server", gap / 1_000_000L,
                                options.failoverTimeout().toMillis(), u.message())));
            } else if (++excusedUnits <= 10) {
                findings.add(String.format(Locale.ROOT, "%s at +%d ms failed with %s after %d ms without a %s "
                        + "(excused)", u.kind().label(), ledger.ms(u.startNanos()), u.sqlState(), gap / 1_000_000L,
                        u.kind().isWrite() ? "primary" : "running server"));
            }
        }
    }

    /** How many failed units were excused; the first ten are listed in the findings. */
    long excusedUnits() {
        return excusedUnits;
    }

    /** No hang: every operation finished within its bound (reported by the watchdog while it ran). */
    void hangs(List<String> stuckWorkers) {
        for (Ledger.Hang h : ledger.hangs()) {
            violations.add(new Violation("no hang", String.format(Locale.ROOT, "%s on %s started at +%d ms ran past "
                    + "its bound of %d ms; stack:%s", h.kind().label(), h.thread(), ledger.ms(h.startNanos()),
                    h.boundNanos() / 1_000_000L, h.stack())));
        }
        if (!stuckWorkers.isEmpty()) {
            violations.add(new Violation("no hang", "workers still running at the end: " + stuckWorkers));
        }
    }

    /** No thread leak and no connection leak after {@code close()}. */
    void leaks(List<String> leakedThreads, Map<String, Long> connectionsLeft) {
        if (!leakedThreads.isEmpty()) {
            violations.add(new Violation("no thread leak", "alive after close(): " + leakedThreads));
        }
        connectionsLeft.forEach((member, n) -> {
            if (n != 0) {
                violations.add(new Violation("no connection leak", member + ": " + (n < 0 ? "could not be checked"
                        : n + " backend(s) of the application user in pg_stat_activity after close()")));
            }
        });
    }

    /** Heap flat: fails only on a clear leak (see {@link HeapSampler#clearLeak}). */
    void heap(HeapSampler heap) {
        String leak = heap.clearLeak();
        if (leak != null) {
            violations.add(new Violation("heap flat over the run", leak));
        }
    }

    /** A rig problem that ended the fault schedule early (not pgcluster's, but the run is then incomplete). */
    void incident(String what) {
        violations.add(new Violation("the run completed", what));
    }

    /** Something worth reporting that is not a violation. */
    void finding(String what) {
        findings.add(what);
    }

    List<Violation> violations() {
        return List.copyOf(violations);
    }

    List<String> findings() {
        return List.copyOf(findings);
    }

    long acked() {
        return acked;
    }

    long lostAcked() {
        return lostAcked;
    }

    long unknownCommitted() {
        return unknownCommitted;
    }

    long unknownAbsent() {
        return unknownAbsent;
    }

    long readsExcused() {
        return readsExcused;
    }

    /** Reads on the primary that pgcluster sent there for read-your-writes. */
    long readsForFreshness() {
        return readsForFreshness;
    }

    private static String first(BitSet b) {
        StringBuilder s = new StringBuilder("[");
        int n = 0;
        for (int i = b.nextSetBit(0); i >= 0 && n < 10; i = b.nextSetBit(i + 1), n++) {
            s.append(n == 0 ? "" : ", ").append(i);
        }
        return s.append(b.cardinality() > 10 ? ", ...]" : "]").toString();
    }
}
