package io.pgcluster.examples.plain;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The project's main job: starts a local Patroni cluster (etcd, three PostgreSQL nodes, PgBouncer, HAProxy), runs
 * writers and readers through pgcluster, performs a planned switchover and then a kill -9 of the primary while they
 * run, and prints what happened: transactions committed, failures by SQLState, reads per member, and the write
 * outage of each event. Everything it started is stopped when it ends or on Ctrl-C.
 *
 * <p>Run it with {@code bash scripts/demo.sh} from the repository's root.
 */
public final class Demo {
    private static final PrintStream OUT = System.out;
    private static final Path LOGS = Path.of("target", "demo");

    private final PatroniCluster cluster;
    private final PgClusterDataSource ds;
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> reads = new ConcurrentHashMap<>();
    private final LongAdder committed = new LongAdder();
    private final LongAdder plainCommitted = new LongAdder();
    private final List<Long> writeTimes = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong newLeaderSeen = new AtomicLong();
    private volatile boolean stop;

    private Demo(PatroniCluster cluster, PgClusterDataSource ds) {
        this.cluster = cluster;
        this.ds = ds;
    }

    public static void main(String[] args) throws Exception {
        Files.createDirectories(LOGS);
        OUT.println("pgcluster demo: a local Patroni cluster, a workload through pgcluster, a switchover and a kill -9.");
        OUT.println("Starting etcd, 3 x Patroni/PostgreSQL 15, PgBouncer and HAProxy on 127.0.0.1 ...");
        PatroniCluster cluster = PatroniCluster.builder().scope("demo").withPgBouncer(true).start();
        OUT.printf("Cluster up in %.1f s: leader %s, replicas %s; etcd %s%n",
                cluster.bringUpTime().toMillis() / 1000.0, cluster.leader().name(),
                cluster.replicas().stream().map(PatroniNode::name).toList(), cluster.etcdClientEndpoint());
        PgClusterConfig config = PgClusterConfig.builder()
                .etcd(cluster.etcdClientEndpoint().replace("http://", ""))
                .scope(cluster.scope())
                .database(cluster.database())
                .user(cluster.user()).password(cluster.password())
                .name("demo")
                .failoverTimeout(Duration.ofSeconds(40))
                .build();
        PgClusterDataSource ds = new PgClusterDataSource(config);
        Demo demo = new Demo(cluster, ds);
        Thread stopper = new Thread(() -> demo.shutdown(true), "demo-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            demo.run();
        } finally {
            Runtime.getRuntime().removeShutdownHook(stopper);
            demo.shutdown(false);
        }
    }

    private void run() throws Exception {
        ds.inTransaction(TransactionMode.READ_WRITE, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS demo_orders (id bigint PRIMARY KEY, item text NOT NULL, "
                        + "created_at timestamptz NOT NULL DEFAULT now())");
            }
            return null;
        });
        awaitTableOnReplicas();
        ds.addTopologyListener((previous, current) -> {
            if (current.leader() != null && previous.leader() != null
                    && !current.leader().name().equals(previous.leader().name())
                    || current.leader() != null && previous.isKnown() && previous.leader() == null) {
                newLeaderSeen.set(System.nanoTime());
            }
        });
        List<Thread> threads = List.of(
                start("writer-1", this::idempotentWrite), start("writer-2", this::idempotentWrite),
                start("writer-plain", this::plainWrite),
                start("reader-1", this::unitOfWorkRead), start("reader-2", this::plainRead));
        Thread progress = start("progress", this::progress);
        long t0 = System.nanoTime();

        phase("Warming up", 4);
        String oldLeader = cluster.leader().name();
        OUT.printf("%n>>> Planned switchover (patronictl switchover) away from %s%n", oldLeader);
        long s0 = System.nanoTime();
        PatroniNode switched = cluster.switchover();
        phase("Running on the new leader " + switched.name(), 5);
        Event switchover = event("switchover " + oldLeader + " -> " + switched.name(), s0, System.nanoTime());

        OUT.printf("%n>>> kill -9 of the primary %s (Patroni and PostgreSQL); Patroni elects a new leader after its "
                + "leader key expires (ttl 10 s)%n", switched.name());
        newLeaderSeen.set(0);
        long k0 = System.nanoTime();
        PatroniNode killed = cluster.killPrimary();
        PatroniNode elected = cluster.awaitLeaderOtherThan(killed.name(), Duration.ofSeconds(60));
        phase("Running on the new leader " + elected.name(), 5);
        Event kill = event("kill -9 " + killed.name() + " -> " + elected.name(), k0, System.nanoTime());
        long firstWriteAfterKey = firstWriteAfter(newLeaderSeen.get());

        stop = true;
        for (Thread t : threads) {
            t.join(30_000);
        }
        progress.interrupt();
        progress.join();
        summary(switchover, kill, firstWriteAfterKey, (System.nanoTime() - t0) / 1_000_000_000.0);
    }

    // ---- the workload ----------------------------------------------------------------------------------------

    /** A unit of work declared idempotent (an upsert keyed by id): pgcluster runs it again after a failover. */
    private void idempotentWrite() throws SQLException {
        long id = ids.incrementAndGet();
        ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> insert(c, id));
        committed.increment();
        recordWrite();
    }

    /** Plain JDBC: no automatic retry; a failure during the failover surfaces with a documented SQLState. */
    private void plainWrite() throws SQLException {
        long id = ids.incrementAndGet();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            insert(c, id);
            c.commit();
        }
        plainCommitted.increment();
        recordWrite();
    }

    private static Void insert(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO demo_orders(id, item) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")) {
            ps.setLong(1, id);
            ps.setString(2, "item " + id);
            ps.executeUpdate();
        }
        return null;
    }

    private void unitOfWorkRead() throws SQLException {
        count(ds.inTransaction(TransactionMode.READ_ONLY, this::server));
    }

    private void plainRead() throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(true);
            count(server(c));
        }
    }

    /**
     * The readers start right after the table is created on the leader; a replica that has not replayed the CREATE
     * yet would answer 42P01, which is replication lag, not something the demo is about.
     */
    private void awaitTableOnReplicas() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (PatroniNode replica : cluster.replicas()) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + replica.host() + ":" + replica.pgPort()
                    + "/" + cluster.database(), cluster.user(), cluster.password());
                    Statement s = c.createStatement()) {
                while (true) {
                    try (ResultSet rs = s.executeQuery("SELECT to_regclass('public.demo_orders') IS NOT NULL")) {
                        rs.next();
                        if (rs.getBoolean(1)) {
                            break;
                        }
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("replica " + replica.name()
                                + " has not replayed CREATE TABLE demo_orders after 30 s");
                    }
                    Thread.sleep(20);
                }
            }
        }
    }

    private String server(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT inet_server_port(), pg_is_in_recovery(), (SELECT count(*) FROM demo_orders)")) {
            rs.next();
            int port = rs.getInt(1);
            for (PatroniNode n : cluster.nodes()) {
                if (n.pgPort() == port) {
                    return n.name() + (rs.getBoolean(2) ? "" : " (primary)");
                }
            }
            return "port " + port;
        }
    }

    private void count(String member) {
        reads.computeIfAbsent(member, k -> new LongAdder()).increment();
    }

    private void recordWrite() {
        synchronized (writeTimes) {
            writeTimes.add(System.nanoTime());
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private Thread start(String name, Step step) {
        Thread t = new Thread(() -> {
            while (!stop) {
                try {
                    step.run();
                    Thread.sleep(name.startsWith("writer") ? 10 : 5);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : e.getClass()
                            .getSimpleName();
                    failures.computeIfAbsent(name.replaceAll("-\\d$", "") + " " + state, k -> new LongAdder())
                            .increment();
                }
            }
        }, "demo-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    // ---- measuring -------------------------------------------------------------------------------------------

    private record Event(String name, long outageMillis) {
    }

    /** The longest gap between successful writes from a second before the event to its end. */
    private Event event(String name, long from, long to) {
        long gap = 0;
        long previous = from - 1_000_000_000L;
        synchronized (writeTimes) {
            for (long t : writeTimes) {
                if (t < previous || t > to) {
                    continue;
                }
                gap = Math.max(gap, t - previous);
                previous = t;
            }
        }
        return new Event(name, gap / 1_000_000L);
    }

    private long firstWriteAfter(long nanos) {
        if (nanos == 0) {
            return -1;
        }
        synchronized (writeTimes) {
            for (long t : writeTimes) {
                if (t >= nanos) {
                    return (t - nanos) / 1_000_000L;
                }
            }
        }
        return -1;
    }

    private void phase(String what, int seconds) throws InterruptedException {
        OUT.printf("%s for %d s ...%n", what, seconds);
        Thread.sleep(seconds * 1000L);
    }

    private void progress() {
        long t0 = System.nanoTime();
        while (!stop) {
            Member leader = ds.topology().leader();
            OUT.printf("  [%4.1fs] committed %d | reads %d | failures %d | leader %s%n",
                    (System.nanoTime() - t0) / 1e9, committed.sum() + plainCommitted.sum(), total(reads),
                    total(failures), leader == null ? "(none: failover in progress)" : leader.name());
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long total(Map<String, LongAdder> m) {
        return m.values().stream().mapToLong(LongAdder::sum).sum();
    }

    private void summary(Event switchover, Event kill, long firstWriteAfterKey, double seconds) {
        OUT.println();
        OUT.println("======================== pgcluster demo: summary ========================");
        OUT.printf("Ran %.0f s with 3 writers (2 through inTransaction, 1 plain JDBC) and 2 readers.%n", seconds);
        OUT.printf("Transactions committed:      %d (unit of work: %d, plain JDBC: %d)%n",
                committed.sum() + plainCommitted.sum(), committed.sum(), plainCommitted.sum());
        OUT.printf("Failures by SQLState:        %s%n", failures.isEmpty() ? "none" : sorted(failures)
                + "  (see docs/failover.md)");
        OUT.printf("Reads per member:            %s%n", sorted(reads));
        OUT.printf("Write outage, %-26s %d ms (longest gap between committed writes)%n", switchover.name() + ":",
                switchover.outageMillis());
        OUT.printf("Write outage, %-26s %d ms (Patroni's ttl is 10 s: the dead leader's key must expire first)%n",
                kill.name() + ":", kill.outageMillis());
        if (firstWriteAfterKey >= 0) {
            OUT.printf("After kill -9: first successful write %d ms after pgcluster saw the new leader key.%n",
                    firstWriteAfterKey);
        }
        OUT.printf("Logs: %s (pgcluster.log: this JVM; servers/: etcd, Patroni and PostgreSQL, HAProxy, PgBouncer)%n",
                LOGS.toAbsolutePath());
        OUT.println("=========================================================================");
    }

    private static Map<String, Long> sorted(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    // ---- the end ---------------------------------------------------------------------------------------------

    private final Object closing = new Object();
    private boolean closed;

    private void shutdown(boolean interrupted) {
        synchronized (closing) {
            if (closed) {
                return;
            }
            closed = true;
        }
        stop = true;
        if (interrupted) {
            OUT.println("\nInterrupted: stopping the workload, the data source and the cluster ...");
        }
        ds.close();
        copyServerLogs();
        cluster.close();
        OUT.println("Stopped everything the demo started.");
    }

    private void copyServerLogs() {
        try {
            Path target = LOGS.resolve("servers");
            Files.createDirectories(target);
            try (var files = Files.walk(cluster.baseDir())) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".log"))::iterator) {
                    Path rel = cluster.baseDir().relativize(f);
                    Path to = target.resolve(rel.toString().replace('/', '-'));
                    Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException | RuntimeException e) {
            OUT.println("Could not copy the server logs: " + e.getMessage());
        }
    }
}
