package io.pgcluster.examples.jpa;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.examples.jpa.HttpLoad.Kind;
import io.pgcluster.examples.jpa.HttpLoad.Request;
import io.pgcluster.testkit.LagHandle;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The notes application, unchanged, under HTTP load from concurrent writers and readers through a planned switchover,
 * a kill -9 of the primary and a lagging replica.
 *
 * <p>It asserts, first, what must never break: the application starts with only the starter and the URL;
 * read-write transactions run on the leader and read-only ones on a replica; no request hangs beyond a bound; no
 * request gets a wrong answer (every failure is a 5xx with a pgcluster SQLState in the log; a page reached by the
 * redirect shows the note just written or a 404, a stale read); nothing fails outside the faults; no acknowledged
 * note of the steady phase is lost. Then issue 12's goals, each measured and written with its counts to
 * {@code target/notes-report.md}: declared finders on replicas; 0 failed requests in the switchover; reads keep
 * succeeding while the killed primary has no successor and none waits for it; every failure during the kill is a
 * write; no stale read of one's own note, also while a replica lags; POST answers carry the position for other
 * services. The test fails listing every goal missed.
 */
@PatroniClusterTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class NotesApplicationIT {
    /** Longer than failoverTimeout (30 s), the longest a request may legitimately wait for a leader. */
    private static final Duration REQUEST_BOUND = Duration.ofSeconds(40);
    private static final Pattern LOGGED_SQLSTATE = Pattern.compile("(?:SQLState: |SQL state \\[)(\\w{5})");
    private static final Pattern REPORTED_SQLSTATE =
            Pattern.compile("pgcluster_failures_reported_total\\{[^}]*sqlstate=\"(\\w{5})\"[^}]*} ([0-9.E]+)");
    private static final int PROBES = 20;

    private static PatroniCluster cluster;

    @Autowired
    Environment environment;

    @Autowired
    WhereRepository where;

    @Autowired
    PlatformTransactionManager transactions;

    @BeforeAll
    static void cluster(PatroniCluster c) {
        cluster = c;
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("PGC_URL", () -> "jdbc:pgcluster:etcd://" + cluster.etcdClientEndpoint().replace("http://", "") + "/"
                + cluster.database() + "?scope=" + cluster.scope());
        r.add("PGC_USER", () -> cluster.user());
        r.add("PGC_PASSWORD", () -> cluster.password());
    }

    @Test
    void notesThroughSwitchoverKillAndLag(CapturedOutput output) throws Exception {
        long began = System.nanoTime();
        // Where each kind of repository call runs, asked of the server itself.
        long declaredOnLeader = onLeader(() -> where.inRecovery());
        long readOnlyOnLeader = onLeader(() -> readOnly(true).execute(s -> where.inRecovery()));
        long readWriteOnLeader = onLeader(() -> readOnly(false).execute(s -> where.inRecovery()));
        assertThat(readWriteOnLeader).as("read-write transactions on the leader").isEqualTo(PROBES);
        assertThat(readOnlyOnLeader).as("read-only transactions on a replica").isZero();

        String base = "http://127.0.0.1:" + environment.getProperty("local.server.port");
        Map<String, Long> scans;
        long switchoverMs;
        long killNanos;
        long newLeaderNanos;
        boolean lagActive;
        String lagging;
        String replayLag;
        HttpLoad load = new HttpLoad(base, 3, 3);
        try {
            Thread.sleep(2_000);
            PatroniNode leader = cluster.leader();
            Map<String, long[]> before = tableStats();
            load.phase("steady");
            Thread.sleep(8_000);
            load.phase("after steady");
            scans = delta(before, tableStats(), leader.name());
            replayLag = replayLag(leader);

            load.phase("switchover");
            long t = System.nanoTime();
            PatroniNode newLeader = cluster.switchover();
            switchoverMs = (System.nanoTime() - t) / 1_000_000;
            Thread.sleep(3_000);
            load.phase("after switchover");
            Thread.sleep(2_000);

            load.phase("kill -9");
            killNanos = System.nanoTime();
            cluster.killPrimary();
            cluster.awaitLeaderOtherThan(newLeader.name(), Duration.ofSeconds(60));
            newLeaderNanos = System.nanoTime();
            Thread.sleep(3_000);
            load.phase("recovery");
            cluster.restoreHealthy(Duration.ofMinutes(2));

            PatroniNode replica = cluster.replicas().get(0);
            lagging = replica.name();
            load.phase("replica lagging");
            try (LagHandle lag = replica.induceLag()) {
                Thread.sleep(8_000);
                lagActive = lag.isActive();
            }
            load.phase("end");
            Thread.sleep(1_000);
        } finally {
            load.close();
        }
        List<Request> requests = load.requests();
        // A stale read is a 404 for a note the write acknowledged; asked again now that every replica caught up,
        // the page must show it, or the write was lost (possible only for the last commits before the kill -9).
        Map<String, Long> stillMissing = new TreeMap<>();
        Map<String, Long> staleNotLost = new TreeMap<>();
        for (Request r : requests) {
            if (r.kind() == Kind.READ_AFTER_WRITE && r.status() == 404) {
                (status(base + r.path()) != 200 ? stillMissing : staleNotLost).merge(r.phase(), 1L, Long::sum);
            }
        }

        NotesReport report = new NotesReport(requests);
        goals(report, declaredOnLeader, switchoverMs, killNanos, newLeaderNanos, lagging, lagActive, staleNotLost);
        Map<String, Long> loggedStates = count(LOGGED_SQLSTATE, output.getAll());
        Map<String, Double> reportedStates = reported(get(base + "/actuator/prometheus"));
        long totalScans = scans.values().stream().mapToLong(Long::longValue).sum();
        long leaderScans = scans.getOrDefault("leader", 0L);
        long faultFailures = requests.stream().filter(Request::failed).count();
        long seconds = (System.nanoTime() - began) / 1_000_000_000;

        report.line("# Notes application under faults (NotesApplicationIT)").line("")
                .line("A Spring Boot 4 / Spring Data JPA / Hibernate application with only the pgcluster starter and "
                        + "a `jdbc:pgcluster:etcd://` URL; 3 writers (POST /notes, 303, GET /notes/{id}) and 3 readers"
                        + " (GET /notes?owner= through a declared finder, GET /notes/summary in a read-only "
                        + "transaction) over HTTP, 15 ms think time. " + seconds + " s of test after the rig and the "
                        + "application started.")
                .line("")
                .line("## The goals of issue 12").line("").goalTable()
                .line("")
                .line("## Where repository calls run (" + PROBES + " calls each, `SELECT pg_is_in_recovery()`)")
                .line("")
                .line("- declared finder, no `@Transactional` (auto-commit, read-only flag unset): " + declaredOnLeader
                        + " of " + PROBES + " on the leader"
                        + (declaredOnLeader == PROBES ? " — the defect issue 12 describes, confirmed" : ""))
                .line("- `@Transactional(readOnly = true)` (as `findById` inherited from `SimpleJpaRepository`): "
                        + readOnlyOnLeader + " of " + PROBES + " on the leader")
                .line("- `@Transactional`: " + readWriteOnLeader + " of " + PROBES + " on the leader")
                .line("- scans of `notes` per role in the steady phase (pg_stat_user_tables): " + scans + "; on the "
                        + "leader " + leaderScans + " of " + totalScans + " (" + percent(leaderScans, totalScans)
                        + ": reads after a write that no replica had replayed yet, and the writes' own lookups)")
                .line("")
                .line("Replicas' replay lag at the end of the steady phase (pg_stat_replication on the leader): "
                        + replayLag + ". A stale read needs only this much: the page after the redirect is asked "
                        + "for a few milliseconds after the commit.")
                .line("")
                .line("Stale reads whose note was still missing when asked again after the test (a lost write): "
                        + stillMissing)
                .line("").line("## Per phase").line("").phaseTable().line("")
                .line("## Failed requests").line("").failures().line("")
                .line("SQLStates in the application's log (Hibernate's `SQLState:` lines, Spring's `SQL state [..]`): " + loggedStates)
                .line("").line("pgcluster_failures_reported_total by SQLState: " + reportedStates)
                .line("").line("Longest request: " + report.longestRequest() + " ms.");
        System.out.println(report.text());
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "notes-report.md"), report.text());

        // What holds today.
        assertThat(report.count("steady", r -> true)).as("requests in the steady phase").isPositive();
        assertThat(report.failed("steady")).as("failures without a fault").isZero();
        assertThat(report.count("steady", r -> r.kind() == Kind.WRITE && r.status() == 303))
                .as("writes reach the leader and redirect").isPositive();
        assertThat(report.longestRequest()).as("longest request, ms").isLessThan(REQUEST_BOUND.toMillis());
        assertThat(requests).as("no request without an answer").noneMatch(r -> r.status() < 0);
        assertThat(requests).as("no answer but 303/200, a 5xx, or a stale read's 404").allMatch(r -> r.failed()
                || (r.kind() == Kind.WRITE ? r.status() == 303 : r.status() == 200)
                || (r.kind() == Kind.READ_AFTER_WRITE && r.status() == 404));
        assertThat(requests).as("a page after the redirect shows the note just written, or 404")
                .allMatch(r -> r.kind() != Kind.READ_AFTER_WRITE || r.status() != 200 || r.ownRowFound());
        if (faultFailures > 0) {
            assertThat(loggedStates.keySet()).as("pgcluster's SQLStates in the log for %d failures", faultFailures)
                    .anyMatch(s -> s.startsWith("08") || s.startsWith("57P"));
        }
        assertThat(stillMissing).as("acknowledged notes missing after the replicas caught up")
                .doesNotContainKeys("warm-up", "steady", "after steady");
        assertThat(get(base + "/actuator/health")).contains("\"status\":\"UP\"").contains("\"pgcluster\"")
                .doesNotContain(cluster.password());

        assertThat(report.missedGoals()).as("issue 12's goals missed (details in target/notes-report.md)").isEmpty();
    }

    /**
     * Issue 12's goals, from the requests. Stale reads exclude the notes still missing after the test: those writes
     * were lost with the killed primary (asynchronous replication), which no read can make visible.
     */
    private static void goals(NotesReport report, long declaredOnLeader, long switchoverMs, long killNanos,
            long newLeaderNanos, String lagging, boolean lagActive, Map<String, Long> staleNotLost) {
        long killToLeaderMs = (newLeaderNanos - killNanos) / 1_000_000;
        report.goal("declared finders (auto-commit SELECTs) run on a replica", declaredOnLeader == 0,
                declaredOnLeader + " of " + PROBES + " on the leader");

        long switchoverFailed = report.failed("switchover") + report.failed("after switchover");
        report.goal("0 failed requests in a planned switchover", switchoverFailed == 0, switchoverFailed
                + " failed of " + (report.count("switchover", r -> true) + report.count("after switchover", r -> true))
                + " " + failedDetail(report, "switchover", "after switchover") + "; the switchover took "
                + switchoverMs + " ms");

        long leaderless = report.readsOkBetween(killNanos, newLeaderNanos);
        long gap = report.readGapBetween(killNanos, newLeaderNanos);
        long killReadsFailed = report.count("kill -9", r -> r.failed() && r.kind().isRead());
        report.goal("read requests keep succeeding during the kill -9", killReadsFailed == 0 && leaderless > 0
                && gap < killToLeaderMs / 2, killReadsFailed + " failed reads; " + leaderless + " reads succeeded "
                + "in the " + killToLeaderMs + " ms without a leader, longest stretch without one " + gap + " ms");

        long longestReader = report.longest("kill -9", k -> k == Kind.READ_LIST || k == Kind.READ_SUMMARY);
        report.goal("no read request waits for the new leader", longestReader < killToLeaderMs / 2,
                "longest list/summary read started in the kill phase " + longestReader + " ms, new leader after "
                + killToLeaderMs + " ms (bound: half of that); longest page after a redirect "
                + report.longest("kill -9", k -> k == Kind.READ_AFTER_WRITE) + " ms (not bound: its note may "
                + "exist only where the leader was)");

        Map<String, Long> killFailures = report.failedByKind("kill -9");
        boolean onlyWrites = killFailures.keySet().stream().allMatch(k -> k.startsWith(Kind.WRITE + " "));
        report.goal("every failure during the kill -9 is a write", onlyWrites, "failures by kind and status: "
                + killFailures);

        long stale = staleNotLost.values().stream().mapToLong(Long::longValue).sum();
        report.goal("no stale read of a note the same client created", stale == 0, stale + " of "
                + report.countAll(r -> r.kind() == Kind.READ_AFTER_WRITE) + " pages after the redirect answered 404 "
                + "for a note that exists, by phase " + staleNotLost);

        long lagPages = report.count("replica lagging", r -> r.kind() == Kind.READ_AFTER_WRITE && r.status() == 200);
        long lagStale = staleNotLost.getOrDefault("replica lagging", 0L);
        report.goal("no stale read while a replica lags", lagActive && lagPages > 0 && lagStale == 0, lagStale
                + " stale of " + (lagPages + lagStale) + " pages after a redirect while " + lagging + " lagged"
                + (lagActive ? "" : " (**the lag had ended before the phase did**)"));

        long created = report.count("steady", r -> r.kind() == Kind.WRITE && r.status() == 303);
        long withPosition = report.count("steady", r -> r.kind() == Kind.WRITE && r.status() == 303 && r.position());
        report.goal("a POST's answer carries " + PositionHeaderFilter.HEADER + " for other services",
                created > 0 && withPosition == created, withPosition + " of " + created + " steady-phase 303s");
    }

    private static String failedDetail(NotesReport report, String... phases) {
        Map<String, Long> m = new TreeMap<>();
        for (String p : phases) {
            report.failedByKind(p).forEach((k, v) -> m.merge(k, v, Long::sum));
        }
        return m.isEmpty() ? "" : "(" + m + ")";
    }

    private TransactionTemplate readOnly(boolean readOnly) {
        TransactionTemplate t = new TransactionTemplate(transactions);
        t.setReadOnly(readOnly);
        return t;
    }

    /** How many of {@link #PROBES} calls ran on the leader. */
    private static long onLeader(java.util.function.Supplier<Boolean> inRecovery) {
        long n = 0;
        for (int i = 0; i < PROBES; i++) {
            if (!inRecovery.get()) {
                n++;
            }
        }
        return n;
    }

    /** Per node: scans of {@code notes} (sequential + index) as the node's own statistics count them. */
    private static Map<String, long[]> tableStats() throws Exception {
        Map<String, long[]> stats = new LinkedHashMap<>();
        for (PatroniNode node : cluster.nodes()) {
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(node.host(), node.pgPort()),
                    cluster.superuser(), cluster.superuserPassword());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) "
                            + "FROM pg_stat_user_tables WHERE relname = 'notes'")) {
                stats.put(node.name(), new long[] {rs.next() ? rs.getLong(1) : 0});
            }
        }
        return stats;
    }

    private static Map<String, Long> delta(Map<String, long[]> before, Map<String, long[]> after, String leader) {
        Map<String, Long> byRole = new TreeMap<>();
        after.forEach((node, v) -> byRole.merge(node.equals(leader) ? "leader" : "replicas",
                v[0] - before.getOrDefault(node, new long[1])[0], Long::sum));
        return byRole;
    }

    private static Map<String, Long> count(Pattern p, String text) {
        Map<String, Long> counts = new TreeMap<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            counts.merge(m.group(1), 1L, Long::sum);
        }
        return counts;
    }

    private static Map<String, Double> reported(String prometheus) {
        Map<String, Double> counts = new TreeMap<>();
        Matcher m = REPORTED_SQLSTATE.matcher(prometheus);
        while (m.find()) {
            counts.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
        }
        return counts;
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "n/a" : Math.round(100.0 * part / whole) + " %";
    }

    private static int status(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Each replica's replay lag as the leader sees it. */
    private static String replayLag(PatroniNode leader) throws Exception {
        StringBuilder b = new StringBuilder();
        try (Connection c = cluster.connectSuperuser(leader);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT application_name, coalesce(replay_lag::text, 'none') "
                        + "FROM pg_stat_replication ORDER BY 1")) {
            while (rs.next()) {
                b.append(b.length() == 0 ? "" : ", ").append(rs.getString(1)).append(' ').append(rs.getString(2));
            }
        }
        return b.toString();
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s -> %s", url, r.body()).isEqualTo(200);
        return r.body();
    }
}
