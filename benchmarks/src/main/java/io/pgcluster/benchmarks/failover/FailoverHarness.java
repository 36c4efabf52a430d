package io.pgcluster.benchmarks.failover;

import io.pgcluster.benchmarks.Machine;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import io.pgcluster.testkit.Dcs;
import io.pgcluster.testkit.HaProxyChecks;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the same steady writer and reader load through each {@link Approach} while the rig performs planned
 * switchovers and kill -9s of the primary, and measures what the load saw against what the cluster itself allowed.
 *
 * <p>One cluster per HAProxy check style (the approaches that do not use HAProxy share the tight-check cluster), with
 * etcd or Consul as Patroni's DCS ({@code --dcs}; pgcluster's approaches use the matching source, HAProxy and pgjdbc do
 * not read the DCS) and Patroni 3 or 4 ({@code --patroni}). On
 * each cluster an independent {@link LeaderWatch} polls Patroni's leader key in the DCS and {@link NodeProbes} commit a
 * probe write on every node every few milliseconds. Each approach then runs, one at a time: its load starts, and for
 * each repetition the cluster is restored to health, the load must be steady, and after a short lead-in the event is
 * triggered; the analyzed window ends once writes have succeeded on the new leader and nothing has failed, nor a
 * read-only transaction read from a primary, in the last 3 s (the quiet period), or at the latest 40 s after the
 * event. What the load sees between the windows is tallied separately. The {@link Workload} says what the threads do.
 *
 * <pre>
 * bash scripts/bench-failover.sh [--quick] [--reps N] [--approaches pgcluster,pgjdbc,...] [--events switchover,kill]
 *                                [--workload tx|autocommit|jpa] [--dcs etcd|consul] [--patroni 3|4]
 *                                [--out DIR] [--chart FILE.svg]
 * </pre>
 */
public final class FailoverHarness {
    private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STEADY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration LEADER_TIMEOUT = Duration.ofSeconds(90);
    /** An analyzed window ends at most this long after the event, even if the load has not settled. */
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(40);

    private final Settings settings;
    private final List<EventResult> results = new ArrayList<>();
    private final Map<Approach, Tally> between = new EnumMap<>(Approach.class);
    private final Map<Approach, Map<String, String>> messages = new EnumMap<>(Approach.class);
    /** Patroni's version as the nodes of the last cluster reported it ({@code patroni --version}), for the header. */
    private String patroniVersion;

    private FailoverHarness(Settings settings) {
        this.settings = settings;
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.parse(args);
        Files.createDirectories(s.out);
        String machine = Machine.describe();
        System.out.println("Failover harness: " + s + "\n" + machine);
        long t0 = System.nanoTime();
        FailoverHarness h = new FailoverHarness(s);
        h.run();
        FailoverReport report = new FailoverReport(h.results, h.between, h.messages, s.dcs);
        String md = "# Failover and switchover under load\n\n" + machine
                + "- cluster: 3 nodes, Patroni " + (h.patroniVersion != null ? h.patroniVersion : s.patroniLabel())
                + " (3: Debian 12's 3.0.x; 4: Debian 13's 4.0.x), DCS " + dcsLabel(s.dcs) + "\n"
                + "- load average at end (1/5/15 min): " + Machine.loadAverage() + "\n"
                + "- command: `bash scripts/bench-failover.sh " + String.join(" ", args) + "`\n"
                + "- settings: " + s + "\n"
                + String.format(Locale.ROOT, "- wall time: %.1f min%n%n", (System.nanoTime() - t0) / 60e9)
                + report.markdown();
        Files.writeString(s.out.resolve("summary.md"), md);
        Files.writeString(s.out.resolve("events.csv"), report.csv());
        String svg = report.switchoverChart();
        if (svg != null) {
            Files.writeString(s.out.resolve("switchover-writes.svg"), svg);
            Files.writeString(s.out.resolve("switchover-timeline.csv"), report.switchoverTimelineCsv());
            if (s.chart != null) {
                Files.createDirectories(s.chart.toAbsolutePath().getParent());
                Files.writeString(s.chart, svg);
            }
        }
        System.out.println("\n" + md);
        System.out.println("Written to " + s.out + (s.chart != null && svg != null ? " and " + s.chart : ""));
    }

    private void run() throws Exception {
        Map<HaProxyChecks, List<Approach>> byCluster = new LinkedHashMap<>();
        for (Approach a : settings.approaches) {
            byCluster.computeIfAbsent(a.checks, k -> new ArrayList<>()).add(a);
        }
        for (Map.Entry<HaProxyChecks, List<Approach>> e : byCluster.entrySet()) {
            System.out.printf("%nStarting a 3-node cluster with HAProxy checks '%s' for %s ...%n",
                    e.getKey().serverOptions(), e.getValue().stream().map(a -> a.key).collect(Collectors.toList()));
            try (PatroniCluster cluster = PatroniCluster.builder().nodes(3).withHaProxy(true)
                    .haProxyChecks(e.getKey()).dcs(settings.dcs).patroniVersion(settings.patroni).start()) {
                patroniVersion = Integer.toString(cluster.patroniVersion());
                System.out.printf("Cluster up in %.1f s, leader %s, Patroni %s, DCS %s%n",
                        cluster.bringUpTime().toMillis() / 1000.0, cluster.leader().name(), patroniVersion,
                        cluster.dcs());
                try (Connection c = direct(cluster, cluster.leader())) {
                    NodeProbes.createTable(c, cluster.nodes());
                }
                try (LeaderWatch watch = leaderWatch(cluster);
                        NodeProbes probes = new NodeProbes(cluster, settings.probeInterval)) {
                    for (Approach a : e.getValue()) {
                        runApproach(cluster, watch, probes, a);
                    }
                    if (watch.errors() > 0) {
                        System.out.println("leader key watch: " + watch.errors() + " failed reads of the DCS");
                    }
                }
            }
        }
    }

    /** The harness's own watch of the leader key, on the DCS Patroni uses (not through any fault proxy). */
    private LeaderWatch leaderWatch(PatroniCluster cluster) {
        if (cluster.dcs() == Dcs.CONSUL) {
            return LeaderWatch.consul(cluster.consul().url(), cluster.consul().keyPrefix() + "leader",
                    settings.keyPoll);
        }
        return LeaderWatch.etcd(cluster.etcdClientEndpoint(), cluster.namespace() + "/" + cluster.scope() + "/leader",
                settings.keyPoll);
    }

    static String dcsLabel(Dcs dcs) {
        return dcs == Dcs.CONSUL ? "Consul (agent in dev mode; pgcluster's consul source)"
                : "etcd (pgcluster's etcd source)";
    }

    private void runApproach(PatroniCluster cluster, LeaderWatch watch, NodeProbes probes, Approach a)
            throws Exception {
        System.out.printf("%n=== %s ===%n", a.label(settings.dcs));
        cluster.restoreHealthy(RESTORE_TIMEOUT);
        try (Connection c = direct(cluster, cluster.leader()); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + Client.Sql.TABLE);
            st.execute(Client.Sql.CREATE_TABLE);
        }
        Client opened;
        try {
            opened = a.open(cluster);
        } catch (PgClusterConfigException e) {
            // An approach may name a setting of a later driver; it is reported as not run rather than ending the run.
            System.out.println("  " + a.key + " not run: " + e.getMessage());
            for (int rep = 1; rep <= settings.reps; rep++) {
                for (EventKind kind : settings.events) {
                    results.add(EventResult.failedEvent(a, kind, rep, "?", "not run: " + e.getMessage()));
                }
            }
            return;
        }
        Tally tally = between.computeIfAbsent(a, k -> new Tally());
        try (Client client = opened;
                Load load = new Load(client, settings.workload, settings.writers, settings.readers,
                        settings.pauseMillis)) {
            if (!awaitSteady(load)) {
                System.out.println("  note: the load was not steady within " + STEADY_TIMEOUT.toSeconds() + " s");
            }
            long accounted = System.nanoTime();
            for (int rep = 1; rep <= settings.reps; rep++) {
                for (EventKind kind : settings.events) {
                    Window w = runEvent(cluster, watch, probes, client, load, a, kind, rep);
                    tally.add(load.between(accounted, w.from),
                            probes.between(accounted - TimeUnit.SECONDS.toNanos(1), w.from));
                    accounted = w.to;
                    load.forget(w.to);
                    probes.forget(w.to - TimeUnit.SECONDS.toNanos(2));
                }
            }
            messages.put(a, load.firstMessages());
        }
    }

    /** Start and end of an analyzed window, in {@link System#nanoTime()}. */
    private record Window(long from, long to) {
    }

    private Window runEvent(PatroniCluster cluster, LeaderWatch watch, NodeProbes probes, Client client, Load load,
            Approach a, EventKind kind, int rep) throws InterruptedException {
        String old = "?";
        long from = System.nanoTime();
        try {
            cluster.restoreHealthy(RESTORE_TIMEOUT);
            boolean steady = awaitSteady(load);
            from = System.nanoTime();
            Thread.sleep(settings.leadInMillis);
            old = cluster.leader().name();
            long t0 = System.nanoTime();
            PatroniNode now;
            if (kind == EventKind.SWITCHOVER) {
                now = cluster.switchover();
            } else {
                PatroniNode killed = cluster.killPrimary();
                old = killed.name();
                now = cluster.awaitLeaderOtherThan(killed.name(), LEADER_TIMEOUT);
            }
            String note = steady ? null : "load not steady before the event";
            long to;
            while (true) {
                Thread.sleep(50);
                to = System.nanoTime();
                if (settled(load, watch, now, t0, to)) {
                    break;
                }
                if (to - t0 > SETTLE_TIMEOUT.toNanos()) {
                    note = "the window ends " + SETTLE_TIMEOUT.toSeconds() + " s after the event, although "
                            + unsettled(load, now, to);
                    break;
                }
            }
            long key = watch.firstSeen(now.name(), t0);
            EventResult r = EventResult.analyze(new EventResult.Recording(a, kind, rep, old, now.name(),
                    now.pgPort(), t0, from, to, key, client.sawLeader(now.name(), t0), load.between(from, to),
                    probes.between(from - TimeUnit.SECONDS.toNanos(1), to)));
            if (note != null) {
                System.out.println("  note: " + note + "; the event is still measured");
            }
            if ((a == Approach.PGCLUSTER || a == Approach.PGCLUSTER_JDBC) && !r.clientSawLeaderKnown()) {
                System.out.println("  note: pgcluster's topology did not name " + now.name() + " after t0 = " + t0
                        + ": " + client);
            }
            results.add(r);
            System.out.println("  " + FailoverReport.line(r));
            return new Window(from, to);
        } catch (RuntimeException e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            System.out.println("  " + a.key + " " + kind.key + " #" + rep + " FAILED: " + msg);
            results.add(EventResult.failedEvent(a, kind, rep, old, msg));
            return new Window(from, System.nanoTime());
        }
    }

    /**
     * The event is over for this load: the key names the new leader, a write succeeded on it, and in the last quiet
     * period nothing failed and no read ran on a primary.
     */
    private boolean settled(Load load, LeaderWatch watch, PatroniNode leader, long t0, long now) {
        if (watch.firstSeen(leader.name(), t0) == -1) {
            return false;
        }
        boolean wroteOnLeader = false;
        long lastTrouble = t0;
        for (Op op : load.between(t0, now)) {
            if (op.write() && op.ok() && op.port() == leader.pgPort()) {
                wroteOnLeader = true;
            }
            if ((!op.ok() || op.readOnlyOnPrimary()) && op.endNanos() - lastTrouble > 0) {
                lastTrouble = op.endNanos();
            }
        }
        return wroteOnLeader && now - lastTrouble >= TimeUnit.MILLISECONDS.toNanos(settings.quietMillis);
    }

    /** What kept the load from settling, for the console. */
    private String unsettled(Load load, PatroniNode leader, long now) {
        long quiet = now - TimeUnit.MILLISECONDS.toNanos(settings.quietMillis);
        List<Op> recent = load.between(quiet, now);
        List<String> why = new ArrayList<>();
        if (recent.stream().anyMatch(o -> !o.ok())) {
            why.add("operations still failed");
        }
        if (recent.stream().anyMatch(Op::readOnlyOnPrimary)) {
            why.add("read-only transactions still ran on the primary");
        }
        if (recent.stream().noneMatch(o -> o.write() && o.ok() && o.port() == leader.pgPort())) {
            why.add("no write reached " + leader.name());
        }
        return why.isEmpty() ? "it had just settled" : String.join(" and ", why);
    }

    /**
     * Waits until, over the last second, writes and reads succeeded and none failed. (Reads on the primary are
     * allowed: with pgjdbc they go on for as long as the pool keeps its connections.)
     */
    private static boolean awaitSteady(Load load) throws InterruptedException {
        long deadline = System.nanoTime() + STEADY_TIMEOUT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Thread.sleep(200);
            long now = System.nanoTime();
            List<Op> last = load.between(now - TimeUnit.SECONDS.toNanos(1), now);
            boolean writes = last.stream().anyMatch(o -> o.write() && o.ok());
            boolean reads = last.stream().anyMatch(o -> !o.write() && o.ok());
            boolean trouble = last.stream().anyMatch(o -> !o.ok());
            if (writes && reads && !trouble) {
                return true;
            }
        }
        return false;
    }

    private static Connection direct(PatroniCluster cluster, PatroniNode node) throws Exception {
        return DriverManager.getConnection(cluster.jdbcUrl(node.host(), node.pgPort()), cluster.user(),
                cluster.password());
    }

    /** What happened to an approach's load outside the analyzed windows: restores, rejoins, steadying. */
    static final class Tally {
        final Map<String, Long> failures = new java.util.TreeMap<>();
        long ops;
        long readsOnPrimary;
        long readsOnPrimaryWhileReplicaHealthy;
        long staleReads;

        void add(List<Op> ops, List<NodeProbes.Sample> samples) {
            for (Op op : ops) {
                this.ops++;
                if (!op.ok()) {
                    failures.merge((op.write() ? "write:" : "read:") + op.sqlState(), 1L, Long::sum);
                    continue;
                }
                if (op.stale()) {
                    staleReads++;
                }
                if (op.readOnPrimary()) {
                    readsOnPrimary++;
                    if (NodeProbes.replicaHealthyAt(samples, op.endNanos())) {
                        readsOnPrimaryWhileReplicaHealthy++;
                    }
                }
            }
        }
    }

    /** Command line settings. */
    static final class Settings {
        int reps = 5;
        List<Approach> approaches = List.of(Approach.values());
        List<EventKind> events = List.of(EventKind.values());
        Workload workload = Workload.TX;
        Dcs dcs = Dcs.ETCD;
        /** Patroni's major version; 0: the test kit's default (3, or its system property / environment variable). */
        int patroni;
        int writers = 2;
        int readers = 2;
        long pauseMillis = 5;
        long leadInMillis = 2000;
        long quietMillis = 3000;
        Duration keyPoll = Duration.ofMillis(10);
        Duration probeInterval = Duration.ofMillis(5);
        Path chart;
        Path out = Path.of("benchmarks", "target",
                "bench-failover-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick":
                        s.reps = 1;
                        break;
                    case "--reps":
                        s.reps = Integer.parseInt(value(args, ++i, "--reps"));
                        if (s.reps < 1) {
                            throw new IllegalArgumentException("--reps must be at least 1, was " + s.reps);
                        }
                        break;
                    case "--approaches":
                        s.approaches = Arrays.stream(value(args, ++i, "--approaches").split(","))
                                .map(String::trim).map(Approach::forKey).collect(Collectors.toList());
                        break;
                    case "--events":
                        s.events = Arrays.stream(value(args, ++i, "--events").split(","))
                                .map(String::trim).map(EventKind::forKey).collect(Collectors.toList());
                        break;
                    case "--workload":
                        s.workload = Workload.forKey(value(args, ++i, "--workload").trim());
                        break;
                    case "--dcs":
                        s.dcs = dcs(value(args, ++i, "--dcs").trim());
                        break;
                    case "--patroni":
                        s.patroni = patroni(value(args, ++i, "--patroni").trim());
                        break;
                    case "--out":
                        s.out = Path.of(value(args, ++i, "--out"));
                        break;
                    case "--chart":
                        s.chart = Path.of(value(args, ++i, "--chart"));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option '" + args[i] + "'; options: --quick, "
                                + "--reps N, --approaches a,b, --events switchover,kill, --workload tx|autocommit|jpa, "
                                + "--dcs etcd|consul, --patroni 3|4, --out DIR, --chart FILE");
                }
            }
            return s;
        }

        private static Dcs dcs(String v) {
            switch (v) {
                case "etcd":
                    return Dcs.ETCD;
                case "consul":
                    return Dcs.CONSUL;
                default:
                    throw new IllegalArgumentException("--dcs must be etcd or consul, was '" + v + "'");
            }
        }

        private static int patroni(String v) {
            if (!v.equals("3") && !v.equals("4")) {
                throw new IllegalArgumentException("--patroni must be 3 or 4, was '" + v + "'");
            }
            return Integer.parseInt(v);
        }

        /** The Patroni version asked for, before a cluster has said which one it runs. */
        String patroniLabel() {
            return patroni == 0 ? "(the test kit's default)" : Integer.toString(patroni);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        @Override
        public String toString() {
            return reps + " repetition(s) of " + events.stream().map(e -> e.key).collect(Collectors.joining(" + "))
                    + " per approach; approaches " + approaches.stream().map(a -> a.key)
                    .collect(Collectors.joining(", ")) + "; load " + writers + " writers + " + readers
                    + " readers, workload " + workload.key + " (" + workload.label + "), " + pauseMillis
                    + " ms pause after each step; lead-in " + leadInMillis
                    + " ms, quiet " + quietMillis + " ms; DCS " + dcs.name().toLowerCase(Locale.ROOT) + ", Patroni "
                    + patroniLabel() + "; leader key polled every " + keyPoll.toMillis()
                    + " ms; node probes every " + probeInterval.toMillis() + " ms";
        }
    }
}
