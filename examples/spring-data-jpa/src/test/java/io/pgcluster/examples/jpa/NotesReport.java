package io.pgcluster.examples.jpa;

import io.pgcluster.examples.jpa.HttpLoad.Kind;
import io.pgcluster.examples.jpa.HttpLoad.Request;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The numbers issue 12's goals are stated in, from the recorded requests: failed requests in the switchover, how long
 * reads stalled during the kill -9, stale reads of one's own write, and where reads ran.
 */
final class NotesReport {
    /**
     * One of issue 12's goals as the IT checks it.
     *
     * @param goal what must hold
     * @param measured what was measured, with the counts
     * @param met whether it held
     */
    record Goal(String goal, String measured, boolean met) {
    }

    private final List<Request> requests;
    private final StringBuilder text = new StringBuilder();
    private final List<Goal> goals = new ArrayList<>();

    NotesReport(List<Request> requests) {
        this.requests = requests;
    }

    long count(String phase, Predicate<Request> p) {
        return requests.stream().filter(r -> r.phase().equals(phase)).filter(p).count();
    }

    long countAll(Predicate<Request> p) {
        return requests.stream().filter(p).count();
    }

    long failed(String phase) {
        return count(phase, Request::failed);
    }

    long stale(String phase) {
        return count(phase, r -> r.kind() == Kind.READ_AFTER_WRITE && r.status() == 404);
    }

    /** The longest read request that started in the phase, in ms. */
    long longestRead(String phase) {
        return requests.stream().filter(r -> r.phase().equals(phase) && r.kind().isRead()).mapToLong(Request::millis)
                .max().orElse(0);
    }

    /**
     * The longest time in the phase during which no read request completed successfully, in ms: what a reader
     * waiting for its page saw, whether its request hung or failed and was retried.
     */
    long longestReadGap(String phase) {
        List<Request> phaseReads = requests.stream().filter(r -> r.phase().equals(phase) && r.kind().isRead())
                .sorted(Comparator.comparingLong(Request::startNanos)).toList();
        if (phaseReads.isEmpty()) {
            return 0;
        }
        long from = phaseReads.get(0).startNanos();
        long to = phaseReads.stream().mapToLong(Request::endNanos).max().orElse(from);
        return readGapMs(r -> r.phase().equals(phase), from, to);
    }

    /** The longest request of the phase whose kind passes {@code kinds}, in ms. */
    long longest(String phase, Predicate<Kind> kinds) {
        return requests.stream().filter(r -> r.phase().equals(phase) && kinds.test(r.kind()))
                .mapToLong(Request::millis).max().orElse(0);
    }

    /** Read requests that ended successfully (200) in {@code [fromNanos, toNanos]}. */
    long readsOkBetween(long fromNanos, long toNanos) {
        return requests.stream().filter(r -> r.kind().isRead() && r.status() == 200
                && r.endNanos() - fromNanos >= 0 && r.endNanos() - toNanos <= 0).count();
    }

    /** The longest stretch of {@code [fromNanos, toNanos]} in which no read request ended successfully, in ms. */
    long readGapBetween(long fromNanos, long toNanos) {
        return readGapMs(r -> true, fromNanos, toNanos);
    }

    private long readGapMs(Predicate<Request> which, long fromNanos, long toNanos) {
        long[] ends = requests.stream().filter(r -> which.test(r) && r.kind().isRead() && r.status() == 200)
                .mapToLong(Request::endNanos).filter(e -> e - fromNanos >= 0 && e - toNanos <= 0).sorted().toArray();
        long gap = 0;
        long previous = fromNanos;
        for (long end : ends) {
            gap = Math.max(gap, end - previous);
            previous = end;
        }
        return Math.max(gap, toNanos - previous) / 1_000_000;
    }

    /** Failed requests of the phase by kind and status, e.g. {@code {WRITE 500=3}}. */
    Map<String, Long> failedByKind(String phase) {
        Map<String, Long> m = new TreeMap<>();
        requests.stream().filter(r -> r.phase().equals(phase) && r.failed())
                .forEach(r -> m.merge(r.kind() + " " + r.status(), 1L, Long::sum));
        return m;
    }

    /** Records a goal; {@link #goalTable()} shows them all, {@link #missedGoals()} the ones that did not hold. */
    NotesReport goal(String goal, boolean met, String measured) {
        goals.add(new Goal(goal, measured, met));
        return this;
    }

    NotesReport goalTable() {
        line("| goal | measured | met? |").line("|---|---|---|");
        goals.forEach(g -> line("| " + g.goal() + " | " + g.measured() + " | " + (g.met() ? "met" : "**missed**")
                + " |"));
        return this;
    }

    /** The goals that did not hold, one line each with the measurement, or an empty list. */
    List<String> missedGoals() {
        return goals.stream().filter(g -> !g.met()).map(g -> g.goal() + ": " + g.measured()).toList();
    }

    long longestRequest() {
        return requests.stream().mapToLong(Request::millis).max().orElse(0);
    }

    NotesReport line(String s) {
        text.append(s).append('\n');
        return this;
    }

    /** A table of every phase: requests, failures, stale reads, longest request, per kind. */
    NotesReport phaseTable() {
        Set<String> phases = new LinkedHashSet<>();
        requests.stream().sorted(Comparator.comparingLong(Request::startNanos)).forEach(r -> phases.add(r.phase()));
        line("| phase | requests | failed (5xx or no answer) | writes ok/all | reads ok/all | read-after-write found/all"
                + " | stale (own row not found) | longest read ms | longest read gap ms | longest write ms |");
        line("|---|---|---|---|---|---|---|---|---|---|");
        for (String phase : phases) {
            line("| " + phase + " | " + count(phase, r -> true) + " | " + failed(phase)
                    + " | " + count(phase, r -> r.kind() == Kind.WRITE && r.status() == 303) + "/"
                    + count(phase, r -> r.kind() == Kind.WRITE)
                    + " | " + count(phase, r -> r.kind().isRead() && r.status() == 200) + "/"
                    + count(phase, r -> r.kind().isRead())
                    + " | " + count(phase, Request::ownRowFound) + "/"
                    + count(phase, r -> r.kind() == Kind.READ_AFTER_WRITE)
                    + " | " + stale(phase) + " | " + longestRead(phase) + " | " + longestReadGap(phase)
                    + " | " + requests.stream().filter(r -> r.phase().equals(phase) && r.kind() == Kind.WRITE)
                            .mapToLong(Request::millis).max().orElse(0) + " |");
        }
        return this;
    }

    /** Failures by phase, kind and status, for the log. */
    NotesReport failures() {
        Map<String, Long> byKind = new TreeMap<>();
        requests.stream().filter(Request::failed).forEach(r -> byKind.merge(r.phase() + " " + r.kind() + " "
                + r.status(), 1L, Long::sum));
        if (byKind.isEmpty()) {
            line("- none");
        }
        byKind.forEach((k, v) -> line("- " + k + ": " + v));
        return this;
    }

    String text() {
        return text.toString();
    }
}
