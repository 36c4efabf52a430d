package io.pgcluster.benchmarks.soak;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything the application side of the soak saw: operations by kind and outcome, failures by SQLState, the fate of
 * every write id, reads answered by a primary, failed units of work, and the operations in flight (for the hang
 * watchdog). Times are {@link System#nanoTime()} values; reports convert them to milliseconds since the start.
 *
 * <p>Thread-safety: safe for concurrent use by the workers, the watchdog and the checker. A {@link Writer}'s sets are
 * written by its one worker thread and read by the checker after that thread ended (join gives the ordering).
 */
final class Ledger {
    /** At most this many reads answered by a primary are kept for the checker; the rest are only counted. */
    static final int MAX_KEPT = 100_000;
    private static final int EXAMPLES = 3;

    /** One operation in flight: what, since when, and how long it may take. */
    record InFlight(long id, OpKind kind, Thread thread, long startNanos, long boundNanos) {
    }

    /** A read whose answering server said {@code pg_is_in_recovery() = false}. */
    record PrimaryRead(OpKind kind, long startNanos, long endNanos, int port) {
    }

    /** A unit of work that failed after pgcluster's retries. */
    record FailedUnit(OpKind kind, long startNanos, long endNanos, String sqlState, String message) {
    }

    /** An operation that ran past its bound (reported once, while still running). */
    record Hang(OpKind kind, long startNanos, long boundNanos, String thread, String stack) {
    }

    /** The fate of one writer's ids (its sequence numbers): set by the writer's thread only. */
    static final class Writer {
        final int id;
        final OpKind kind;
        /** Committed: the application was told so. */
        final BitSet acked = new BitSet();
        /** Failed with an outcome pgcluster documents as unknown (08007), or any failure of an idempotent unit. */
        final BitSet unknown = new BitSet();
        /** Failed in a way documented as "not committed" (08001 before sending, 08006 before COMMIT). */
        final BitSet notCommitted = new BitSet();
        long lastSeq;

        Writer(int id, OpKind kind) {
            this.id = id;
            this.kind = kind;
        }
    }

    private final long t0;
    private final Map<OpKind, LongAdder> ok = new EnumMap<>(OpKind.class);
    private final Map<OpKind, LongAdder> failed = new EnumMap<>(OpKind.class);
    private final Map<OpKind, AtomicLong> longestNanos = new EnumMap<>(OpKind.class);
    private final Map<String, LongAdder> failuresByState = new ConcurrentHashMap<>();
    private final Map<String, List<String>> examples = new ConcurrentHashMap<>();
    private final Map<Long, InFlight> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<PrimaryRead> primaryReads = new ConcurrentLinkedQueue<>();
    private final AtomicInteger primaryReadsKept = new AtomicInteger();
    private final LongAdder primaryReadsTotal = new LongAdder();
    private final ConcurrentLinkedQueue<FailedUnit> failedUnits = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Hang> hangs = new ConcurrentLinkedQueue<>();
    private final Map<Long, Boolean> hangReported = new ConcurrentHashMap<>();
    private final List<Writer> writers = new ArrayList<>();

    Ledger(long t0) {
        this.t0 = t0;
        for (OpKind k : OpKind.values()) {
            ok.put(k, new LongAdder());
            failed.put(k, new LongAdder());
            longestNanos.put(k, new AtomicLong());
        }
    }

    /** When the soak started ({@link System#nanoTime()}). */
    long t0() {
        return t0;
    }

    synchronized Writer writer(OpKind kind) {
        Writer w = new Writer(writers.size() + 1, kind);
        writers.add(w);
        return w;
    }

    synchronized List<Writer> writers() {
        return List.copyOf(writers);
    }

    InFlight begin(OpKind kind, long boundNanos) {
        InFlight f = new InFlight(ids.incrementAndGet(), kind, Thread.currentThread(), System.nanoTime(), boundNanos);
        inFlight.put(f.id(), f);
        return f;
    }

    /** Ends {@code f}; {@code success} counts it as succeeded, else as failed (the failure was recorded). */
    long end(InFlight f, boolean success) {
        inFlight.remove(f.id());
        long took = System.nanoTime() - f.startNanos();
        longestNanos.get(f.kind()).accumulateAndGet(took, Math::max);
        (success ? ok : failed).get(f.kind()).increment();
        return took;
    }

    /** Counts a failure under {@code <kind>:<SQLState>} ({@code none} for a throwable without one). */
    void failure(OpKind kind, Throwable t) {
        String state = t instanceof SQLException ? ((SQLException) t).getSQLState() : null;
        String key = kind.name() + ":" + (state == null ? "none (" + t.getClass().getSimpleName() + ")" : state);
        failuresByState.computeIfAbsent(key, k -> new LongAdder()).increment();
        List<String> ex = examples.computeIfAbsent(key, k -> new ArrayList<>());
        synchronized (ex) {
            if (ex.size() < EXAMPLES) {
                ex.add(String.valueOf(t.getMessage()).replace('\n', ' '));
            }
        }
    }

    void failedUnit(InFlight f, Throwable t) {
        String state = t instanceof SQLException ? ((SQLException) t).getSQLState() : null;
        failedUnits.add(new FailedUnit(f.kind(), f.startNanos(), System.nanoTime(), state,
                String.valueOf(t.getMessage()).replace('\n', ' ')));
    }

    /** Adds a failed unit with given times (for tests of the checker). */
    void failedUnitForTest(OpKind kind, long startNanos, long endNanos, String sqlState) {
        failedUnits.add(new FailedUnit(kind, startNanos, endNanos, sqlState, "test"));
    }

    void primaryRead(InFlight f, int port) {
        primaryReadsTotal.increment();
        if (primaryReadsKept.incrementAndGet() <= MAX_KEPT) {
            primaryReads.add(new PrimaryRead(f.kind(), f.startNanos(), System.nanoTime(), port));
        }
    }

    /** Called by the watchdog: every operation running past its bound is reported once. */
    void checkHangs(long now) {
        for (InFlight f : inFlight.values()) {
            if (now - f.startNanos() > f.boundNanos() && hangReported.putIfAbsent(f.id(), Boolean.TRUE) == null) {
                StringBuilder s = new StringBuilder();
                StackTraceElement[] st = f.thread().getStackTrace();
                for (int i = 0; i < Math.min(12, st.length); i++) {
                    s.append("\n        at ").append(st[i]);
                }
                hangs.add(new Hang(f.kind(), f.startNanos(), f.boundNanos(), f.thread().getName(), s.toString()));
            }
        }
    }

    int inFlightCount() {
        return inFlight.size();
    }

    long succeeded(OpKind k) {
        return ok.get(k).sum();
    }

    long failed(OpKind k) {
        return failed.get(k).sum();
    }

    long longestMillis(OpKind k) {
        return longestNanos.get(k).get() / 1_000_000L;
    }

    /** Failures by {@code <kind>:<SQLState>}, sorted. */
    Map<String, Long> failuresByState() {
        Map<String, Long> m = new TreeMap<>();
        failuresByState.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    List<String> examples(String key) {
        List<String> ex = examples.getOrDefault(key, List.of());
        synchronized (ex) {
            return List.copyOf(ex);
        }
    }

    List<PrimaryRead> primaryReads() {
        return List.copyOf(primaryReads);
    }

    long primaryReadsTotal() {
        return primaryReadsTotal.sum();
    }

    List<FailedUnit> failedUnits() {
        return List.copyOf(failedUnits);
    }

    List<Hang> hangs() {
        return List.copyOf(hangs);
    }

    /** Milliseconds between the start of the soak and {@code nanos}. */
    long ms(long nanos) {
        return (nanos - t0) / 1_000_000L;
    }
}
