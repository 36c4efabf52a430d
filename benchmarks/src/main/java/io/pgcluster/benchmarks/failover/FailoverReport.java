package io.pgcluster.benchmarks.failover;

import io.pgcluster.benchmarks.Stats;
import io.pgcluster.testkit.Dcs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * Summarizes {@link EventResult}s: a table per kind of event with one row per approach (medians and worst cases over
 * the repetitions, sums of counts), pgcluster's targets checked against the measurements, what happened outside the
 * analyzed windows, a CSV of every event, and the switchover chart.
 */
final class FailoverReport {
    /** pgcluster's switchover target: its write outage at most this much longer than the floor. */
    static final long SWITCHOVER_OVER_FLOOR_MS = 100;
    /** pgcluster's kill -9 target: first successful write at most this long after the new leader key. */
    static final long KILL_FIRST_WRITE_AFTER_KEY_MS = 200;

    private final List<EventResult> results;
    private final Map<Approach, FailoverHarness.Tally> between;
    private final Map<Approach, Map<String, String>> messages;
    /** Patroni's DCS in this run: pgcluster's approaches followed it with the matching source. */
    private final Dcs dcs;

    FailoverReport(List<EventResult> results, Map<Approach, FailoverHarness.Tally> between,
            Map<Approach, Map<String, String>> messages) {
        this(results, between, messages, Dcs.ETCD);
    }

    FailoverReport(List<EventResult> results, Map<Approach, FailoverHarness.Tally> between,
            Map<Approach, Map<String, String>> messages, Dcs dcs) {
        this.results = List.copyOf(results);
        this.between = between;
        this.messages = messages;
        this.dcs = dcs;
    }

    private String label(Approach a) {
        return a.label(dcs);
    }

    /** One line per event for the console. */
    static String line(EventResult r) {
        return String.format(Locale.ROOT, "%s %s #%d %s->%s: write outage %d ms (floor %d ms, +%d), key at %d ms, "
                + "first write on new leader %s after key (probe %s), client saw leader %s after key; ok w/r %d/%d; "
                + "failures %s; 25006 %d; reads on primary %d (%d with a healthy replica)", r.approach().key,
                r.kind().key, r.repetition(), r.oldLeader(), r.newLeader(), r.outage().millis(), r.floor().millis(),
                r.outageOverFloorMs(), r.keyMs(), ms(r.firstWriteOnNewLeaderAfterKeyMs()),
                ms(r.firstProbeCommitAfterKeyMs()),
                r.clientSawLeaderKnown() ? r.clientSawLeaderAfterKeyMs() + " ms" : "n/a", r.writesOk(), r.readsOk(),
                r.failures(),
                r.writesRefusedByReplica(), r.readsOnPrimary(), r.readsOnPrimaryWhileReplicaHealthy());
    }

    private static String ms(long v) {
        return v == -1 ? "n/a" : v + " ms";
    }

    private List<Approach> approaches() {
        Set<Approach> s = new LinkedHashSet<>();
        results.forEach(r -> s.add(r.approach()));
        return new ArrayList<>(s);
    }

    private List<EventResult> of(Approach a, EventKind k) {
        return results.stream().filter(r -> r.approach() == a && r.kind() == k && !r.failed())
                .collect(Collectors.toList());
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        for (EventKind k : EventKind.values()) {
            if (results.stream().noneMatch(r -> r.kind() == k)) {
                continue;
            }
            b.append("## ").append(k.label).append("\n\n");
            b.append("| approach | events | write outage ms, median / worst | floor ms, median / worst "
                    + "| outage − floor ms, median / worst "
                    + "| new leader key → first write on it, ms, median / worst (probe's first commit there) "
                    + "| failed writes (by SQLState) | failed reads (by SQLState) | writes refused by a replica (25006) "
                    + "| reads on the primary (while a replica was healthy) |\n");
            b.append("|---|---:|---:|---:|---:|---:|---|---|---:|---:|\n");
            for (Approach a : approaches()) {
                List<EventResult> rs = of(a, k);
                long failedEvents = results.stream().filter(r -> r.approach() == a && r.kind() == k && r.failed())
                        .count();
                if (rs.isEmpty()) {
                    b.append("| ").append(label(a)).append(" | 0 (").append(failedEvents)
                            .append(" could not be run) | | | | | | | | |\n");
                    continue;
                }
                Map<String, Long> f = sumFailures(rs);
                b.append("| ").append(label(a)).append(" | ").append(rs.size())
                        .append(failedEvents > 0 ? " (+" + failedEvents + " failed to run)" : "").append(" | ")
                        .append(medWorst(rs, r -> r.outage().millis())).append(openMark(rs)).append(" | ")
                        .append(medWorst(rs, r -> r.floor().millis())).append(" | ")
                        .append(medWorst(rs, EventResult::outageOverFloorMs)).append(" | ")
                        .append(medWorstKnown(rs, EventResult::firstWriteOnNewLeaderAfterKeyMs)).append(" (")
                        .append(medWorstKnown(rs, EventResult::firstProbeCommitAfterKeyMs)).append(") | ")
                        .append(byState(f, "write:")).append(" | ")
                        .append(byState(f, "read:")).append(" | ")
                        .append(sum(rs, EventResult::writesRefusedByReplica)).append(" | ")
                        .append(sum(rs, EventResult::readsOnPrimary)).append(" (")
                        .append(sum(rs, EventResult::readsOnPrimaryWhileReplicaHealthy)).append(") |\n");
            }
            b.append('\n');
        }
        b.append(applicationView());
        b.append(targets());
        b.append(outsideWindows());
        b.append(extras());
        b.append(firstMessages());
        return b.toString();
    }

    /**
     * What an application's users see, per event and approach (issue 12): failed requests, how long reads stalled,
     * stale reads of one's own write, reads on the primary.
     */
    String applicationView() {
        if (results.stream().allMatch(EventResult::failed)) {
            return "";
        }
        StringBuilder b = new StringBuilder("## What an application sees: failed requests, read stalls, stale reads\n\n"
                + "| event | approach | events | failed requests (writes + reads) | failed reads "
                + "| read stall ms: longest time between successful reads, median / worst | longest read ms, worst "
                + "| stale reads of one's own write | reads on the primary (while a replica was healthy) |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (EventKind k : EventKind.values()) {
            for (Approach a : approaches()) {
                List<EventResult> rs = of(a, k);
                if (rs.isEmpty()) {
                    continue;
                }
                b.append("| ").append(k.label).append(" | ").append(label(a)).append(" | ").append(rs.size())
                        .append(" | ").append(sum(rs, r -> r.writeFailures() + r.readFailures())).append(" | ")
                        .append(sum(rs, EventResult::readFailures)).append(" | ")
                        .append(medWorst(rs, r -> r.readGap().millis())).append(" | ")
                        .append(rs.stream().mapToLong(EventResult::longestReadMs).max().orElse(0)).append(" | ")
                        .append(sum(rs, EventResult::staleReads)).append(" | ")
                        .append(sum(rs, EventResult::readsOnPrimary)).append(" (")
                        .append(sum(rs, EventResult::readsOnPrimaryWhileReplicaHealthy)).append(") |\n");
            }
        }
        List<String> notRun = new ArrayList<>();
        for (Approach a : approaches()) {
            results.stream().filter(r -> r.approach() == a && r.failed()).map(EventResult::error).findFirst()
                    .ifPresent(e -> notRun.add(label(a) + ": " + e));
        }
        b.append('\n');
        if (!notRun.isEmpty()) {
            b.append("Events not measured (the first reason per approach):\n\n");
        }
        notRun.forEach(n -> b.append("- ").append(n.replace('\n', ' ')).append('\n'));
        return b.append(notRun.isEmpty() ? "" : "\n").toString();
    }

    private static String openMark(List<EventResult> rs) {
        long open = rs.stream().filter(r -> !r.outage().closed()).count();
        return open == 0 ? "" : " (" + open + " ran into the window's edge)";
    }

    /** pgcluster's targets, each with the measurement and whether it was met. */
    String targets() {
        List<EventResult> so = of(Approach.PGCLUSTER, EventKind.SWITCHOVER);
        List<EventResult> kill = of(Approach.PGCLUSTER, EventKind.KILL_PRIMARY);
        List<EventResult> all = new ArrayList<>(so);
        all.addAll(kill);
        if (all.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("## pgcluster's targets (unit-of-work API, " + dcs.name().toLowerCase(Locale.ROOT)
                + " source)\n\n"
                + "| target | measured | met? |\n|---|---|---|\n");
        if (!so.isEmpty()) {
            long worst = (long) Stats.max(so.stream().map(EventResult::outageOverFloorMs).collect(Collectors.toList()));
            b.append("| switchover write outage ≤ floor + ").append(SWITCHOVER_OVER_FLOOR_MS).append(" ms | outage − "
                    + "floor: median ").append(fmt(Stats.median(so.stream().map(EventResult::outageOverFloorMs)
                    .collect(Collectors.toList())))).append(" ms, worst ").append(worst).append(" ms | ")
                    .append(verdict(worst <= SWITCHOVER_OVER_FLOOR_MS, worst - SWITCHOVER_OVER_FLOOR_MS, "ms"))
                    .append(" |\n");
        }
        long failedTx = sum(all, EventResult::writeFailures);
        long failedReads = sum(all, EventResult::readFailures);
        FailoverHarness.Tally t = between.get(Approach.PGCLUSTER);
        long outsideW = t == null ? 0 : t.failures.entrySet().stream().filter(e -> e.getKey().startsWith("write:"))
                .mapToLong(Map.Entry::getValue).sum();
        long outsideR = t == null ? 0 : t.failures.entrySet().stream().filter(e -> e.getKey().startsWith("read:"))
                .mapToLong(Map.Entry::getValue).sum();
        b.append("| zero failed transactions (inTransaction READ_WRITE_IDEMPOTENT) | ").append(failedTx)
                .append(" in the event windows, ").append(outsideW).append(" outside them | ")
                .append(verdict(failedTx + outsideW == 0, failedTx + outsideW, "failed")).append(" |\n");
        b.append("| zero failed reads (inTransaction READ_ONLY) | ").append(failedReads)
                .append(" in the event windows, ").append(outsideR).append(" outside them | ")
                .append(verdict(failedReads + outsideR == 0, failedReads + outsideR, "failed")).append(" |\n");
        long refused = sum(all, EventResult::writesRefusedByReplica);
        b.append("| zero writes sent to a replica | ").append(refused).append(" refused with 25006 | ")
                .append(verdict(refused == 0, refused, "writes")).append(" |\n");
        long onPrimary = sum(all, EventResult::readsOnPrimaryWhileReplicaHealthy)
                + (t == null ? 0 : t.readsOnPrimaryWhileReplicaHealthy);
        b.append("| zero reads on the primary while a replica is healthy | ").append(onPrimary)
                .append(" (events and between them) | ").append(verdict(onPrimary == 0, onPrimary, "reads"))
                .append(" |\n");
        List<Long> firsts = kill.stream().map(EventResult::firstWriteOnNewLeaderAfterKeyMs).filter(v -> v != -1)
                .collect(Collectors.toList());
        if (!kill.isEmpty()) {
            if (firsts.size() < kill.size()) {
                b.append("| kill -9: first write ≤ ").append(KILL_FIRST_WRITE_AFTER_KEY_MS).append(" ms after the "
                        + "new leader key | ").append(kill.size() - firsts.size())
                        .append(" event(s) without a write on the new leader | missed |\n");
            } else {
                long worst = (long) Stats.max(firsts);
                List<Long> probe = kill.stream().map(EventResult::firstProbeCommitAfterKeyMs).filter(v -> v != -1)
                        .collect(Collectors.toList());
                b.append("| kill -9: first write ≤ ").append(KILL_FIRST_WRITE_AFTER_KEY_MS).append(" ms after the "
                        + "new leader key | median ").append(fmt(Stats.median(firsts))).append(" ms, worst ")
                        .append(worst).append(" ms").append(probe.isEmpty() ? "" : " (the probe's first commit on the "
                        + "new leader: median " + fmt(Stats.median(probe)) + " ms, worst " + (long) Stats.max(probe)
                        + " ms)").append(" | ").append(verdict(worst <= KILL_FIRST_WRITE_AFTER_KEY_MS,
                        worst - KILL_FIRST_WRITE_AFTER_KEY_MS, "ms")).append(" |\n");
            }
        }
        return b.append('\n').toString();
    }

    private static String verdict(boolean met, long by, String unit) {
        return met ? "met" : "**missed** by " + by + " " + unit;
    }

    private String outsideWindows() {
        if (between.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("## Outside the event windows (restoring the cluster, the old primary "
                + "rejoining, steadying)\n\n| approach | operations | failed (by SQLState) | reads on the primary "
                + "(while a replica was healthy) | stale reads of one's own write |\n|---|---:|---|---:|---:|\n");
        for (Approach a : approaches()) {
            FailoverHarness.Tally t = between.get(a);
            if (t == null) {
                continue;
            }
            b.append("| ").append(label(a)).append(" | ").append(t.ops).append(" | ")
                    .append(t.failures.isEmpty() ? "0" : t.failures.toString()).append(" | ")
                    .append(t.readsOnPrimary).append(" (").append(t.readsOnPrimaryWhileReplicaHealthy)
                    .append(") | ").append(t.staleReads).append(" |\n");
        }
        return b.append('\n').toString();
    }

    /** pgcluster's own view of the topology: how soon after the key it named the new leader. */
    private String extras() {
        StringBuilder b = new StringBuilder();
        for (Approach a : approaches()) {
            for (EventKind k : EventKind.values()) {
                List<Long> saw = of(a, k).stream().filter(EventResult::clientSawLeaderKnown)
                        .map(EventResult::clientSawLeaderAfterKeyMs)
                        .collect(Collectors.toList());
                if (!saw.isEmpty()) {
                    b.append("- ").append(label(a)).append(", ").append(k.label).append(": its topology named the new "
                            + "leader ").append(fmt(Stats.median(saw))).append(" ms (median), ")
                            .append((long) Stats.max(saw)).append(" ms (worst) after the key was seen by the "
                            + "harness's own poll\n");
                }
            }
        }
        return b.length() == 0 ? "" : "## How soon pgcluster learnt of the new leader\n\n" + b + "\n";
    }

    private String firstMessages() {
        StringBuilder b = new StringBuilder();
        for (Approach a : approaches()) {
            Map<String, String> m = messages.get(a);
            if (m == null || m.isEmpty()) {
                continue;
            }
            b.append("- ").append(label(a)).append(":\n");
            m.forEach((k, v) -> b.append("  - `").append(k).append("`: ")
                    .append(v.replace('\n', ' ').replace("|", "\\|")).append('\n'));
        }
        return b.length() == 0 ? "" : "## First message seen per failure kind\n\n" + b + "\n";
    }

    /** Every event as CSV, for anyone who wants to look further. */
    String csv() {
        StringBuilder b = new StringBuilder("approach,event,repetition,old_leader,new_leader,window_from_ms,"
                + "window_to_ms,key_ms,floor_from_ms,floor_to_ms,floor_ms,outage_from_ms,outage_to_ms,outage_ms,"
                + "outage_closed,outage_over_floor_ms,first_write_on_new_leader_after_key_ms,"
                + "first_probe_commit_after_key_ms,"
                + "client_saw_leader_after_key_ms,writes_ok,reads_ok,write_failures,read_failures,"
                + "writes_refused_by_replica,reads_on_primary,reads_on_primary_while_replica_healthy,failures,error\n");
        for (EventResult r : results) {
            b.append(String.join(",", r.approach().key, r.kind().key, Integer.toString(r.repetition()),
                    String.valueOf(r.oldLeader()), String.valueOf(r.newLeader()), Long.toString(r.windowFromMs()),
                    Long.toString(r.windowToMs()), Long.toString(r.keyMs()), Long.toString(r.floor().fromMs()),
                    Long.toString(r.floor().toMs()), Long.toString(r.floor().millis()),
                    Long.toString(r.outage().fromMs()), Long.toString(r.outage().toMs()),
                    Long.toString(r.outage().millis()), Boolean.toString(r.outage().closed()),
                    Long.toString(r.outageOverFloorMs()), Long.toString(r.firstWriteOnNewLeaderAfterKeyMs()),
                    Long.toString(r.firstProbeCommitAfterKeyMs()),
                    r.clientSawLeaderKnown() ? Long.toString(r.clientSawLeaderAfterKeyMs()) : "",
                    Integer.toString(r.writesOk()),
                    Integer.toString(r.readsOk()), Long.toString(r.writeFailures()), Long.toString(r.readFailures()),
                    Long.toString(r.writesRefusedByReplica()), Long.toString(r.readsOnPrimary()),
                    Long.toString(r.readsOnPrimaryWhileReplicaHealthy()),
                    quote(r.failures().toString()), quote(r.error() == null ? "" : r.error()))).append('\n');
        }
        return b.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /** Per approach, the switchover whose write outage was the median one (the lower middle for an even count). */
    private List<EventResult> medianSwitchovers() {
        List<EventResult> chosen = new ArrayList<>();
        for (Approach a : approaches()) {
            List<EventResult> rs = new ArrayList<>(of(a, EventKind.SWITCHOVER));
            if (!rs.isEmpty()) {
                rs.sort(Comparator.comparingLong(r -> r.outage().millis()));
                chosen.add(rs.get((rs.size() - 1) / 2));
            }
        }
        return chosen;
    }

    /**
     * The switchover chart: per approach, the switchover whose write outage was the median one, or {@code null} when
     * no switchover was measured.
     */
    String switchoverChart() {
        List<SvgChart.Panel> panels = new ArrayList<>();
        long end = 6000;
        for (EventResult r : medianSwitchovers()) {
            end = Math.max(end, r.outage().toMs() + 2000);
            panels.add(new SvgChart.Panel(String.format(Locale.ROOT, "%s: write outage %d ms (floor %d ms), %d "
                    + "failed writes, %d failed reads", label(r.approach()), r.outage().millis(), r.floor().millis(),
                    r.writeFailures(), r.readFailures()), r.okWritesPerBucket(), r.failedWritesPerBucket(),
                    r.keyMs(), r.floor().fromMs(), r.floor().toMs(), r.windowToMs()));
        }
        if (panels.isEmpty()) {
            return null;
        }
        int to = (int) Math.min(EventResult.TIMELINE_TO_MS, ((end + 999) / 1000) * 1000);
        return SvgChart.render("Writes around a planned switchover (median repetition of each approach)", panels,
                EventResult.BUCKET_MS, EventResult.TIMELINE_FROM_MS, -1000, to);
    }

    /** The chart's data: successful and failed writes per bucket of each approach's median switchover. */
    String switchoverTimelineCsv() {
        StringBuilder b = new StringBuilder("approach,repetition,bucket_from_ms,bucket_to_ms,writes_ok,writes_failed,"
                + "in_window\n");
        for (EventResult r : medianSwitchovers()) {
            for (int i = 0; i < r.okWritesPerBucket().length; i++) {
                long from = EventResult.TIMELINE_FROM_MS + (long) i * EventResult.BUCKET_MS;
                b.append(r.approach().key).append(',').append(r.repetition()).append(',').append(from).append(',')
                        .append(from + EventResult.BUCKET_MS).append(',').append(r.okWritesPerBucket()[i]).append(',')
                        .append(r.failedWritesPerBucket()[i]).append(',')
                        .append(from + EventResult.BUCKET_MS <= r.windowToMs()).append('\n');
            }
        }
        return b.toString();
    }

    private static Map<String, Long> sumFailures(List<EventResult> rs) {
        Map<String, Long> m = new TreeMap<>();
        rs.forEach(r -> r.failures().forEach((k, v) -> m.merge(k, v, Long::sum)));
        return m;
    }

    private static String byState(Map<String, Long> f, String prefix) {
        Map<String, Long> m = new TreeMap<>();
        f.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                m.put(k.substring(prefix.length()), v);
            }
        });
        long total = m.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
            return "0";
        }
        return total + " (" + m.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", ")) + ")";
    }

    private static long sum(List<EventResult> rs, ToLongFunction<EventResult> f) {
        return rs.stream().mapToLong(f).sum();
    }

    private static String medWorst(List<EventResult> rs, ToLongFunction<EventResult> f) {
        List<Long> v = rs.stream().map(f::applyAsLong).collect(Collectors.toList());
        return fmt(Stats.median(v)) + " / " + (long) Stats.max(v);
    }

    /** Median / worst over the events where the value is known; notes how many lacked it. */
    private static String medWorstKnown(List<EventResult> rs, ToLongFunction<EventResult> f) {
        List<Long> v = rs.stream().map(f::applyAsLong).filter(x -> x != -1).collect(Collectors.toList());
        if (v.isEmpty()) {
            return "n/a";
        }
        String s = fmt(Stats.median(v)) + " / " + (long) Stats.max(v);
        return v.size() < rs.size() ? s + " (" + (rs.size() - v.size()) + " without)" : s;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
