package io.pgcluster.benchmarks.soak;

import io.pgcluster.benchmarks.Machine;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chaos soak with an invariant checker: starts a 3-node Patroni cluster from the test kit (ttl 10, loop_wait 2,
 * retry_timeout 4, fault proxies, optionally {@code synchronous_mode}), drives it through pgcluster with writers and
 * readers (units of work and plain JDBC) for the configured time while injecting a seeded random schedule of faults
 * ({@link FaultKind}), each followed by recovery to a healthy cluster, and then proves the invariants of
 * docs/reliability.md against the data on the surviving leader ({@link Checker}). Writes a Markdown report.
 *
 * <pre>
 * bash scripts/soak.sh [--duration 10m] [--fault-every 30s-60s] [--faults all|switchover,...] [--seed N] ...
 * </pre>
 *
 * <p>Exit status: 0 when no invariant was violated, 1 when one was, 2 on bad options.
 *
 * <p>Thread-safety: one run per instance, from one thread.
 */
public final class Soak {
    private static final Logger log = LoggerFactory.getLogger(Soak.class);
    private static final Duration RECOVER_TIMEOUT = Duration.ofMinutes(3);
    /** Slack added to every operation bound: GC pauses, a busy machine, HikariCP's housekeeping. */
    private static final Duration SLACK = Duration.ofSeconds(10);

    /** One fault as injected. */
    record FaultEvent(FaultKind kind, long atMillis, String what, long recoveredAfterMillis, String error) {
    }

    /**
     * The outcome of a run.
     *
     * @param violations the broken invariants (empty: the run passed)
     * @param report the Markdown report
     * @param reportFile where it was written, or {@code null}
     */
    public record Result(List<Checker.Violation> violations, String report, Path reportFile) {
        public boolean passed() {
            return violations.isEmpty();
        }
    }

    private final SoakOptions options;
    private final String command;
    private final List<FaultEvent> faults = new ArrayList<>();

    /**
     * @param command how to run the same soak again (printed in the report with the seed)
     */
    public Soak(SoakOptions options, String command) {
        this.options = options;
        this.command = command;
    }

    public static void main(String[] args) throws Exception {
        SoakOptions o;
        try {
            o = SoakOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        String command = "bash scripts/soak.sh " + o.describe();
        Result r = new Soak(o, command).run();
        System.out.println(r.report());
        System.out.println(r.passed() ? "SOAK PASSED" : "SOAK FAILED: " + r.violations().size() + " violation(s)");
        System.out.println("report: " + r.reportFile());
        System.exit(r.passed() ? 0 : 1);
    }

    /** Runs the soak: starts and stops its own cluster. */
    public Result run() throws Exception {
        System.out.println("soak: seed " + options.seed() + "; to run it again: " + command);
        Files.createDirectories(options.out());
        String machine = Machine.describe();
        long wall0 = System.nanoTime();
        long bringUp;
        try (PatroniCluster cluster = PatroniCluster.builder().nodes(3).timing(10, 2, 4).withFaultProxies(true)
                .synchronousMode(options.synchronousMode()).start()) {
            bringUp = cluster.bringUpTime().toMillis();
            return run(cluster, machine, wall0, bringUp);
        }
    }

    private Result run(PatroniCluster cluster, String machine, long wall0, long bringUpMillis) throws Exception {
        try (Connection c = appSuperuser(cluster, cluster.leader()); Statement s = c.createStatement()) {
            s.execute(Workload.DDL);
            s.execute("GRANT ALL ON " + Workload.TABLE + " TO " + cluster.user());
        }
        PgClusterConfig config = PgClusterConfig.builder()
                .etcd(cluster.etcdClientEndpoint().replaceFirst("^https?://", "")).scope(cluster.scope())
                .namespace(cluster.namespace()).name("soak").database(cluster.database()).user(cluster.user())
                .password(cluster.password()).failoverTimeout(options.failoverTimeout())
                .set("retryMaxDuration", SoakOptions.text(options.retryMaxDuration()))
                .pgjdbcProperty("socketTimeout", Long.toString(options.socketTimeout().toSeconds())).build();
        Duration plainBound = config.failoverTimeout().plus(config.connectionTimeout()).plus(options.socketTimeout())
                .multipliedBy(2).plus(SLACK);
        Duration unitBound = config.retryMaxDuration().plus(plainBound);

        Set<Long> threadsBefore = threadIds();
        long t0 = System.nanoTime();
        Ledger ledger = new Ledger(t0);
        RoutingLog routing = new RoutingLog(config.maxReplicaLag(), config.suspectTimeout().toNanos());
        RoleProbe roles = new RoleProbe(cluster.nodes().stream().map(PatroniNode::name).toList(),
                name -> appSuperuser(cluster, cluster.node(name)));
        HeapSampler heap = new HeapSampler(t0, options.heapInterval().toMillis());
        Thread watchdog = daemon("soak-watchdog", () -> {
            while (!Thread.currentThread().isInterrupted()) {
                ledger.checkHangs(System.nanoTime());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            return observe(cluster, config, ledger, routing, roles, heap, watchdog, threadsBefore, plainBound,
                    unitBound, machine, wall0, bringUpMillis);
        } finally {
            // idempotent; on the normal path each was closed at its step already
            watchdog.interrupt();
            heap.close();
            roles.close();
        }
    }

    private Result observe(PatroniCluster cluster, PgClusterConfig config, Ledger ledger, RoutingLog routing,
            RoleProbe roles, HeapSampler heap, Thread watchdog, Set<Long> threadsBefore, Duration plainBound,
            Duration unitBound, String machine, long wall0, long bringUpMillis) throws Exception {
        Map<String, Long> connectionsLeft;
        List<String> leakedThreads;
        List<String> stuck;
        Map<Integer, BitSet> present = new HashMap<>();
        long rowsInRecovery;
        List<String> incidents = new ArrayList<>();
        int nodes = cluster.nodes().size();
        PgClusterDataSource ds = new PgClusterDataSource(config);
        try {
            ds.addMetrics(routing);
            awaitDriverReady(ds, nodes - 1);
            Workload load = new Workload(ds, ledger, options.pause().toMillis(), plainBound.toNanos(),
                    unitBound.toNanos());
            load.start(options.writersPerKind(), options.readersPerKind());
            System.out.printf(Locale.ROOT, "soak: load running (%d writers and %d readers per kind); bounds: plain "
                    + "JDBC %d s, units %d s%n", options.writersPerKind(), options.readersPerKind(),
                    plainBound.toSeconds(), unitBound.toSeconds());
            injectFaults(cluster, ledger, incidents);
            stuck = load.stop(unitBound.toNanos());
            ledger.checkHangs(System.nanoTime());
        } finally {
            watchdog.interrupt();
            ds.close();
        }
        heap.close();
        leakedThreads = awaitThreadsGone(threadsBefore, "soak/");
        List<String> otherThreads = otherNewThreads(threadsBefore);
        try {
            cluster.restoreHealthy(RECOVER_TIMEOUT);
        } catch (RuntimeException e) {
            incidents.add("the cluster did not recover at the end: " + e.getMessage());
        }
        connectionsLeft = awaitNoAppConnections(cluster);
        roles.close();
        PatroniNode leader = cluster.leader();
        try (Connection c = appSuperuser(cluster, leader); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    incidents.add("the leader " + leader.name() + " was in recovery when the data was read");
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT writer, seq FROM " + Workload.TABLE)) {
                while (rs.next()) {
                    present.computeIfAbsent(rs.getInt(1), k -> new BitSet()).set((int) rs.getLong(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + Workload.TABLE + " WHERE in_recovery")) {
                rs.next();
                rowsInRecovery = rs.getLong(1);
            }
        }

        Checker checker = new Checker(options, ledger);
        checker.writes(ledger.writers(), present);
        checker.noWriteOnReplica(rowsInRecovery);
        checker.readsOnPrimary(routing);
        checker.failures(roles);
        checker.hangs(stuck);
        checker.leaks(leakedThreads, connectionsLeft);
        checker.heap(heap);
        incidents.forEach(checker::incident);
        if (!otherThreads.isEmpty()) {
            checker.finding("threads that appeared during the run and were still alive 15 s after close() (not "
                    + "pgcluster's by name: libraries, the JVM, the test kit): " + otherThreads);
        }

        String md = report(machine, wall0, bringUpMillis, ledger, checker, routing, roles, heap, plainBound,
                unitBound, config, leader.name());
        Path file = options.out().resolve("soak-" + LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-seed" + options.seed() + ".md");
        Files.writeString(file, md);
        return new Result(checker.violations(), md, file);
    }

    /** The fault loop: quiet gap, fault, recovery; until the duration is used up. */
    private void injectFaults(PatroniCluster cluster, Ledger ledger, List<String> incidents)
            throws InterruptedException {
        Random random = new Random(options.seed());
        List<FaultKind> kinds = new ArrayList<>();
        for (FaultKind k : FaultKind.values()) {
            if (options.faults().contains(k)) {
                kinds.add(k);
            }
        }
        long end = ledger.t0() + options.duration().toNanos();
        while (true) {
            long gap = options.faultGapMin().toMillis() + (long) (random.nextDouble()
                    * (options.faultGapMax().toMillis() - options.faultGapMin().toMillis()));
            FaultKind kind = kinds.get(random.nextInt(kinds.size()));
            long remaining = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            if (remaining <= gap) {
                Thread.sleep(Math.max(0, remaining));
                return;
            }
            Thread.sleep(gap);
            long at = ledger.ms(System.nanoTime());
            String what;
            String error = null;
            long f0 = System.nanoTime();
            try {
                what = kind.inject(cluster, random);
            } catch (RuntimeException e) {
                what = "failed to inject";
                error = e.getMessage();
                log.warn("soak: fault {} failed: {}", kind, e.toString());
            }
            try {
                cluster.restoreHealthy(RECOVER_TIMEOUT);
            } catch (RuntimeException e) {
                incidents.add("after " + kind + " at +" + at + " ms the cluster did not recover: " + e.getMessage());
                faults.add(new FaultEvent(kind, at, what, -1, error));
                System.out.println("soak: +" + at + " ms " + kind + ": " + what + "; NOT RECOVERED, ending the faults");
                return;
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - f0);
            faults.add(new FaultEvent(kind, at, what, took, error));
            System.out.printf(Locale.ROOT, "soak: +%d ms %s: %s; healthy again after %d ms%s%n", at, kind, what, took,
                    error == null ? "" : " (injection failed: " + error + ")");
        }
    }

    /** Waits until pgcluster sees a leader and every replica readable, so the first reads have somewhere to go. */
    private static void awaitDriverReady(PgClusterDataSource ds, int replicas) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadline < 0) {
            var h = ds.health();
            if (h.up() && h.replicas().stream().filter(r -> r.readable()).count() >= replicas) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("pgcluster did not see a leader and " + replicas + " readable replicas within "
                + "60 s: " + ds.health());
    }

    /** Threads that appeared since {@code before} and are pgcluster's or a pool's, still alive after 15 s. */
    private static List<String> awaitThreadsGone(Set<Long> before, String poolPrefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        List<String> left;
        do {
            left = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                String n = t.getName();
                if (t.isAlive() && !before.contains(t.getId()) && (n.startsWith("pgcluster-")
                        || n.startsWith(poolPrefix))) {
                    left.add(n);
                }
            }
            if (left.isEmpty()) {
                return left;
            }
            Thread.sleep(200);
        } while (System.nanoTime() - deadline < 0);
        return left;
    }

    /**
     * Names of live threads that appeared since {@code before}, other than the soak's own and the fault proxies',
     * after waiting up to 15 s for them to end (libraries such as Vert.x close asynchronously).
     */
    private static List<String> otherNewThreads(Set<Long> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        List<String> l;
        do {
            l = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                String n = t.getName();
                if (t.isAlive() && !before.contains(t.getId()) && !n.startsWith("soak-")
                        && !n.startsWith("fault-proxy")) {
                    l.add(n);
                }
            }
            if (l.isEmpty()) {
                break;
            }
            Thread.sleep(250);
        } while (System.nanoTime() - deadline < 0);
        l.sort(null);
        return l;
    }

    /** Backends of the application user per member, waiting up to 15 s for them to be gone; -1 if not checkable. */
    private static Map<String, Long> awaitNoAppConnections(PatroniCluster cluster) throws InterruptedException {
        Map<String, Long> left = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        do {
            left.clear();
            for (PatroniNode n : cluster.nodes()) {
                try (Connection c = appSuperuser(cluster, n);
                        PreparedStatement ps = c.prepareStatement(
                                "SELECT count(*) FROM pg_stat_activity WHERE usename = ?")) {
                    ps.setString(1, cluster.user());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        left.put(n.name(), rs.getLong(1));
                    }
                } catch (SQLException e) {
                    left.put(n.name(), -1L);
                }
            }
            if (left.values().stream().allMatch(v -> v == 0)) {
                return left;
            }
            Thread.sleep(250);
        } while (System.nanoTime() - deadline < 0);
        return left;
    }

    /** A superuser connection to the application database on the member's real port (no proxy, no pgcluster). */
    static Connection appSuperuser(PatroniCluster cluster, PatroniNode node) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", cluster.superuser());
        p.setProperty("password", cluster.superuserPassword());
        p.setProperty("connectTimeout", "2");
        p.setProperty("loginTimeout", "3");
        p.setProperty("socketTimeout", "10");
        p.setProperty("ApplicationName", "soak-checker");
        return DriverManager.getConnection(cluster.jdbcUrl("127.0.0.1", node.pgPort()), p);
    }

    private static Set<Long> threadIds() {
        Set<Long> ids = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            ids.add(t.getId());
        }
        return ids;
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private String report(String machine, long wall0, long bringUpMillis, Ledger ledger, Checker checker,
            RoutingLog routing, RoleProbe roles, HeapSampler heap, Duration plainBound, Duration unitBound,
            PgClusterConfig config, String leader) {
        StringBuilder b = new StringBuilder();
        List<Checker.Violation> v = checker.violations();
        b.append("# pgcluster chaos soak: ").append(v.isEmpty() ? "PASSED" : "FAILED (" + v.size() + " violations)")
                .append("\n\n");
        b.append("- command: `").append(command).append("`\n");
        b.append("- seed: ").append(options.seed()).append("\n");
        b.append(String.format(Locale.ROOT, "- load: %s; wall time %.1f min (rig bring-up %.1f s)%n",
                SoakOptions.text(options.duration()), (System.nanoTime() - wall0) / 60e9, bringUpMillis / 1000.0));
        b.append("- cluster: 3 nodes, Patroni ttl 10 / loop_wait 2 / retry_timeout 4, synchronous_mode ")
                .append(options.synchronousMode()).append(", fault proxies; surviving leader ").append(leader)
                .append("\n");
        b.append(String.format(Locale.ROOT, "- pgcluster: etcd source, failoverTimeout %d s, retryMaxDuration %d s, "
                + "socketTimeout %d s, connectionTimeout %d s, suspectTimeout %d s, maxReplicaLag %d B%n",
                config.failoverTimeout().toSeconds(), config.retryMaxDuration().toSeconds(),
                options.socketTimeout().toSeconds(), config.connectionTimeout().toSeconds(),
                config.suspectTimeout().toSeconds(), config.maxReplicaLag()));
        b.append(String.format(Locale.ROOT, "- operation bounds (no hang): plain JDBC %d s, inTransaction %d s; grace "
                + "around topology changes %d ms%n", plainBound.toSeconds(), unitBound.toSeconds(),
                options.grace().toMillis()));
        b.append(machine).append('\n');

        b.append("## Invariant violations: ").append(v.size()).append("\n\n");
        if (v.isEmpty()) {
            b.append("None.\n\n");
        }
        Map<String, Integer> perInvariant = new LinkedHashMap<>();
        for (Checker.Violation x : v) {
            int n = perInvariant.merge(x.invariant(), 1, Integer::sum);
            if (n <= 10) {
                b.append("- **").append(x.invariant()).append("**: ").append(x.detail()).append('\n');
            }
        }
        perInvariant.forEach((inv, n) -> {
            if (n > 10) {
                b.append("- **").append(inv).append("**: ").append(n - 10).append(" more, ").append(n)
                        .append(" in all\n");
            }
        });
        b.append("\n## Faults injected: ").append(faults.size()).append("\n\n| kind | count |\n|---|---|\n");
        Map<FaultKind, Integer> byKind = new EnumMap<>(FaultKind.class);
        options.faults().forEach(k -> byKind.put(k, 0));
        faults.forEach(f -> byKind.merge(f.kind(), 1, Integer::sum));
        byKind.forEach((k, n) -> b.append("| ").append(k).append(" | ").append(n).append(" |\n"));
        b.append("\n| at (s) | kind | what | healthy again after (s) |\n|---|---|---|---|\n");
        for (FaultEvent f : faults) {
            b.append(String.format(Locale.ROOT, "| %.1f | %s | %s%s | %s |%n", f.atMillis() / 1000.0, f.kind(),
                    f.what(), f.error() == null ? "" : " (failed: " + f.error().replace('\n', ' ') + ")",
                    f.recoveredAfterMillis() < 0 ? "not recovered" : String.format(Locale.ROOT, "%.1f",
                            f.recoveredAfterMillis() / 1000.0)));
        }
        b.append("\n## Operations\n\n| kind | succeeded | failed | longest (ms) |\n|---|---|---|---|\n");
        long total = 0;
        for (OpKind k : OpKind.values()) {
            total += ledger.succeeded(k) + ledger.failed(k);
            b.append("| ").append(k.label()).append(" | ").append(ledger.succeeded(k)).append(" | ")
                    .append(ledger.failed(k)).append(" | ").append(ledger.longestMillis(k)).append(" |\n");
        }
        b.append("\nTotal operations: ").append(total).append(".\n");
        b.append("\n## Failures by SQLState\n\n");
        Map<String, Long> fs = ledger.failuresByState();
        if (fs.isEmpty()) {
            b.append("None.\n");
        } else {
            b.append("| kind:SQLState | count | example |\n|---|---|---|\n");
            fs.forEach((k, n) -> {
                List<String> ex = ledger.examples(k);
                b.append("| ").append(k).append(" | ").append(n).append(" | ")
                        .append(ex.isEmpty() ? "" : ex.get(0).replace("|", "\\|")).append(" |\n");
            });
        }
        b.append("\n## Writes and reads\n\n");
        b.append(String.format(Locale.ROOT, "- acknowledged writes: %d; lost: %d%n- writes with unknown outcome "
                + "(08007, or a failed idempotent unit): committed %d, not committed %d%n", checker.acked(),
                checker.lostAcked(), checker.unknownCommitted(), checker.unknownAbsent()));
        b.append(String.format(Locale.ROOT, "- reads answered by a primary: %d (all excused by the rule: %d; "
                + "sent to the leader for read-your-writes: %d; pgcluster's routing view changed %d times; %d refused "
                + "replica connections)%n", ledger.primaryReadsTotal(), checker.readsExcused(),
                checker.readsForFreshness(), routing.changes(), routing.suspicionCount()));
        b.append("- inTransaction units that failed, excused by a long enough stretch without a leader (rule 5): ")
                .append(checker.excusedUnits()).append('\n');
        b.append("- episodes with two primaries at once (servers' own answer, probed every ")
                .append(RoleProbe.INTERVAL_MILLIS).append(" ms): ").append(roles.twoPrimaryEpisodes()).append('\n');
        b.append("- heap: ").append(heap.summary()).append('\n');
        List<String> findings = checker.findings();
        if (!findings.isEmpty()) {
            b.append("\n## Findings (not violations)\n\n");
            findings.stream().limit(50).forEach(f -> b.append("- ").append(f).append('\n'));
            if (findings.size() > 50) {
                b.append("- ... ").append(findings.size() - 50).append(" more\n");
            }
        }
        return b.toString();
    }
}
