package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.ClusterRebuild;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PgBackRest;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 14's backup drill with an application running through it: pgBackRest archives to S3 (s3proxy over HTTPS),
 * takes a full and an incremental backup, and the cluster is removed from the DCS and recreated by Patroni from the
 * repository at a point in time ({@link PgBackRest#restoreTo}). The application (pgcluster on etcd, writers and a
 * reader) never restarts: it must reconnect by itself, fail only while no leader exists and only with documented
 * SQLStates, and afterwards run only on the restored servers. Then the cluster is removed again and bootstrapped
 * anew with initdb on the same member names and addresses ({@link PatroniCluster#bootstrapAnew}): a new system
 * identifier, which pgcluster's topology shows and on which it closes every pool, with a WARN naming both.
 *
 * <p>One rig of its own (3 nodes, no HAProxy). Measured times are logged and quoted in docs/deploy/backup-restore.md.
 */
class BackupRestoreIT {
    private static final Logger log = LoggerFactory.getLogger(BackupRestoreIT.class);
    private static final Set<String> DOCUMENTED = Set.of("08001", "08006", "08007");

    /** One operation of the application: when it ran, and where (or how it failed). */
    private record Op(String kind, long startNanos, long endNanos, String sqlState, long postmasterStartMillis,
            int port) {
    }

    /** One rebuild of the cluster while the application runs: what pgcluster saw, and every operation. */
    private static final class Phase {
        final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
        final AtomicLong leaderGone = new AtomicLong();
        final AtomicLong leaderBack = new AtomicLong();
        volatile long startNanos;
        volatile long startMillis;

        long successfulWritesAfter(long nanos) {
            return ops.stream().filter(o -> o.sqlState == null && o.kind.startsWith("write") && o.startNanos > nanos)
                    .count();
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    @FunctionalInterface
    private interface Rebuild {
        ClusterRebuild.Timings run() throws Exception;
    }

    @Test
    void applicationRunsThroughAPointInTimeRestoreAndANewBootstrap() throws Exception {
        try (PatroniCluster cluster = PatroniCluster.builder().nodes(3).start();
                PgBackRest backups = PgBackRest.start(cluster)) {
            Duration archiving = backups.configureArchiving();
            try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE pitr (id bigint PRIMARY KEY)");
            }
            Duration full = backups.backup("full");
            insert(cluster, "pitr", 1, 20);
            Duration incr = backups.backup("incr");
            String info = backups.info();
            assertThat(info).as("pgbackrest info").contains("\"type\":\"full\"").contains("\"type\":\"incr\"");
            long sysidBefore = systemIdentifier(cluster);
            int timelineBefore = timeline(cluster);

            AtomicReference<Phase> phase = new AtomicReference<>(new Phase());
            try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster)
                    .set("failoverTimeout", "30s").build())) {
                ds.addTopologyListener((previous, current) -> {
                    Phase p = phase.get();
                    long now = System.nanoTime();
                    if (p.startNanos == 0) {
                        return;
                    }
                    if (current.leader() == null && previous != null && previous.leader() != null) {
                        p.leaderGone.compareAndSet(0, now);
                    }
                    if (current.leader() != null && p.leaderGone.get() != 0) {
                        p.leaderBack.compareAndSet(0, now);
                    }
                });

                // 1. point-in-time recovery: the same cluster (system identifier) on a new timeline
                Phase pitr = phase.get();
                String[] target = new String[1];
                Duration[] archiveLag = new Duration[1];
                ClusterRebuild.Timings restore = runThrough(pitr, ds, () -> {
                    insert(cluster, "pitr", 21, 50);
                    target[0] = backups.restorePoint();
                    insert(cluster, "pitr", 51, 100); // after the target: must be gone after the restore
                    archiveLag[0] = backups.awaitArchived(Duration.ofSeconds(30));
                }, () -> backups.restoreTo(target[0], Duration.ofMinutes(2)));
                log.info("measured: archiving configured in {} ms, full backup {} ms, incremental {} ms, archive "
                        + "lag {} ms; restore: members stopped after {} ms, removed from the DCS after {} ms, "
                        + "leader {} writable after {} ms, cluster healthy after {} ms",
                        archiving.toMillis(), full.toMillis(), incr.toMillis(), archiveLag[0].toMillis(),
                        restore.stopped().toMillis(), restore.removed().toMillis(), restore.leader(),
                        restore.leaderWritable().toMillis(), restore.healthy().toMillis());
                try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT id FROM pitr ORDER BY id")) {
                    List<Long> ids = new ArrayList<>();
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                    assertThat(ids).as("exactly the rows committed before the target")
                            .isEqualTo(LongStream.rangeClosed(1, 50).boxed().collect(Collectors.toList()));
                }
                long sysidAfter = systemIdentifier(cluster);
                int timelineAfter = timeline(cluster);
                log.info("PITR: system identifier {} -> {}, timeline {} -> {}", sysidBefore, sysidAfter,
                        timelineBefore, timelineAfter);
                // A physical restore keeps pg_control's system identifier; the new incarnation is a new timeline.
                assertThat(sysidAfter).as("system identifier").isEqualTo(sysidBefore);
                assertThat(timelineAfter).as("timeline").isGreaterThan(timelineBefore);
                assertThat(ds.topology().systemIdentifier()).as("pgcluster's topology (the DCS initialize key)")
                        .isEqualTo(Long.toUnsignedString(sysidAfter));
                assertApplication("PITR", pitr);

                // 2. bootstrapped anew under the same scope, names and addresses: another cluster
                Phase anew = new Phase();
                phase.set(anew);
                StringBuilder logged = new StringBuilder();
                ClusterRebuild.Timings bootstrap = teeStderr(logged,
                        () -> runThrough(anew, ds, () -> { }, () -> cluster.bootstrapAnew(Duration.ofMinutes(2))));
                long sysidAnew = systemIdentifier(cluster);
                log.info("bootstrapped anew: leader {} writable after {} ms, healthy after {} ms; system identifier "
                        + "{} -> {}", bootstrap.leader(), bootstrap.leaderWritable().toMillis(),
                        bootstrap.healthy().toMillis(), sysidAfter, sysidAnew);
                assertThat(sysidAnew).as("a new cluster").isNotEqualTo(sysidAfter);
                assertThat(ds.topology().systemIdentifier()).isEqualTo(Long.toUnsignedString(sysidAnew));
                assertThat(logged.toString()).as("pgcluster's WARN").contains("system identifier changed from "
                        + Long.toUnsignedString(sysidAfter) + " to " + Long.toUnsignedString(sysidAnew));
                assertApplication("bootstrap anew", anew);
            }
        }
    }

    /**
     * Runs the application (two writers, a reader) until it wrote, then {@code before}, then the rebuild, then until
     * it wrote 10 times more; the phase records what pgcluster saw and every operation.
     */
    private static ClusterRebuild.Timings runThrough(Phase p, PgClusterDataSource ds,
            Step before, Rebuild rebuild) throws Exception {
        List<Thread> threads = new ArrayList<>();
        try (AutoCloseable stop = run(threads, p.ops, ds)) {
            Awaits.until(Duration.ofSeconds(30), "the application to write", () -> p.successfulWritesAfter(0) >= 10);
            before.run();
            p.startMillis = System.currentTimeMillis();
            p.startNanos = System.nanoTime();
            ClusterRebuild.Timings t = rebuild.run();
            long done = p.startNanos + t.leaderWritable().toNanos();
            Awaits.until(Duration.ofSeconds(60), "10 writes of the application after the rebuild",
                    () -> p.successfulWritesAfter(done) >= 10);
            assertThat(p.leaderGone.get()).as("pgcluster saw the cluster without a leader").isPositive();
            assertThat(p.leaderBack.get()).as("pgcluster saw the new leader").isPositive();
            log.info("pgcluster: no leader from +{} ms to +{} ms after the rebuild started",
                    (p.leaderGone.get() - p.startNanos) / 1_000_000, (p.leaderBack.get() - p.startNanos) / 1_000_000);
            return t;
        }
    }

    /**
     * Failures only with documented SQLStates and only while no leader existed (from the start of the rebuild, when
     * the leader's PostgreSQL stops a moment before its key goes, until pgcluster saw the new leader); afterwards
     * every operation on a server started after the rebuild began: no connection to the old servers survived.
     */
    private static void assertApplication(String what, Phase p) {
        Map<String, Long> failures = new TreeMap<>();
        for (Op o : p.ops) {
            if (o.sqlState != null) {
                failures.merge(o.kind + ":" + o.sqlState, 1L, Long::sum);
            }
        }
        log.info("{}: application ran {} operations, failures by SQLState {}", what, p.ops.size(), failures);
        for (Op o : p.ops) {
            if (o.sqlState == null) {
                continue;
            }
            assertThat(o.sqlState).as("%s: a documented SQLState (docs/failover.md): %s", what, o).isIn(DOCUMENTED);
            assertThat(o.endNanos).as("%s: failed after the rebuild began: %s", what, o)
                    .isGreaterThanOrEqualTo(p.startNanos);
            assertThat(o.startNanos).as("%s: started before pgcluster saw the new leader: %s", what, o)
                    .isLessThan(p.leaderBack.get());
        }
        List<Op> after = p.ops.stream().filter(o -> o.sqlState == null && o.startNanos > p.leaderBack.get())
                .collect(Collectors.toList());
        assertThat(after).as("%s: operations after the rebuild", what).isNotEmpty();
        assertThat(after).as("%s: every connection afterwards is to a server started by the rebuild", what)
                .allSatisfy(o -> assertThat(o.postmasterStartMillis).isGreaterThan(p.startMillis));
    }

    /** Runs {@code body} while copying what slf4j-simple (which writes to System.err as it is) logs. */
    private static <T> T teeStderr(StringBuilder into, Callable<T> body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (copy) {
                    copy.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
        try {
            return body.call();
        } finally {
            System.setErr(original);
            synchronized (copy) {
                into.append(copy.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** Two writers (a unit of work and plain JDBC) and a reader; each records where it ran. */
    private static AutoCloseable run(List<Thread> threads, ConcurrentLinkedQueue<Op> ops, PgClusterDataSource ds) {
        String where = "SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint, inet_server_port()";
        // txid_current() assigns a transaction id: a write only a leader can do, and it needs no table (a cluster
        // bootstrapped anew has none)
        threads.add(loop("write-uow", ops, () -> ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT txid_current()");
            }
            return place(c, where);
        })));
        threads.add(loop("write-jdbc", ops, () -> {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT txid_current()");
                }
                long[] p = place(c, where);
                c.commit();
                return p;
            }
        }));
        threads.add(loop("read", ops, () -> {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                return place(c, where);
            }
        }));
        return () -> {
            threads.forEach(Thread::interrupt);
            for (Thread t : threads) {
                t.join(35_000);
            }
        };
    }

    private static long[] place(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getInt(2)};
        }
    }

    @FunctionalInterface
    private interface Task {
        long[] run() throws Exception;
    }

    private static Thread loop(String kind, ConcurrentLinkedQueue<Op> ops, Task task) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long start = System.nanoTime();
                try {
                    long[] p = task.run();
                    ops.add(new Op(kind, start, System.nanoTime(), null, p[0], (int) p[1]));
                } catch (SQLException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        return; // 57014: the test stopping the thread, not the drill
                    }
                    ops.add(new Op(kind, start, System.nanoTime(), e.getSQLState(), 0, 0));
                    log.info("{} failed: {} {}", kind, e.getSQLState(), e.getMessage());
                } catch (Exception e) {
                    ops.add(new Op(kind, start, System.nanoTime(), e.getClass().getSimpleName(), 0, 0));
                    log.info("{} failed", kind, e);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "backup-it-" + kind);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void insert(PatroniCluster cluster, String table, long from, long to) throws Exception {
        try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + table + " SELECT g FROM generate_series(" + from + ", " + to + ") g");
        }
    }

    private static long systemIdentifier(PatroniCluster cluster) throws SQLException {
        try (Connection c = cluster.connectSuperuser(cluster.leader()); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT system_identifier FROM pg_control_system()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int timeline(PatroniCluster cluster) throws SQLException {
        try (Connection c = cluster.connectSuperuser(cluster.leader()); Statement s = c.createStatement()) {
            // the checkpoint's timeline lags a promotion until the next checkpoint: ask for one
            s.execute("CHECKPOINT");
            try (ResultSet rs = s.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
