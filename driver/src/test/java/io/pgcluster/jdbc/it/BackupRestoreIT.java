package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PgBackRest;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
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
 * SQLStates, and afterwards run only on the restored servers.
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

    @Test
    void applicationRunsThroughAPointInTimeRestore() throws Exception {
        try (PatroniCluster cluster = PatroniCluster.builder().nodes(3).start();
                PgBackRest backups = PgBackRest.start(cluster)) {
            Duration archiving = backups.configureArchiving();
            try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE pitr (id bigint PRIMARY KEY)");
                s.execute("CREATE TABLE app_log (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
            }
            Duration full = backups.backup("full");
            insert(cluster, "pitr", 1, 20);
            Duration incr = backups.backup("incr");
            String info = backups.info();
            assertThat(info).as("pgbackrest info").contains("\"type\":\"full\"").contains("\"type\":\"incr\"");
            long sysidBefore = systemIdentifier(cluster);
            int timelineBefore = timeline(cluster);

            AtomicLong leaderGoneAt = new AtomicLong();
            AtomicLong leaderBackAt = new AtomicLong();
            ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            AtomicLong seq = new AtomicLong(1_000_000);
            try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster)
                    .set("failoverTimeout", "30s").build())) {
                ds.addTopologyListener((previous, current) -> {
                    long now = System.nanoTime();
                    if (current.leader() == null && previous != null && previous.leader() != null) {
                        leaderGoneAt.compareAndSet(0, now);
                    }
                    if (current.leader() != null && leaderGoneAt.get() != 0) {
                        leaderBackAt.compareAndSet(0, now);
                    }
                });
                long drillStartedMillis;
                long drillStarted;
                PgBackRest.Restore restore;
                try (AutoCloseable stop = run(threads, ops, ds, seq)) {
                    Awaits.until(Duration.ofSeconds(30), "the application to write",
                            () -> ops.stream().filter(o -> o.sqlState == null && o.kind.startsWith("write")).count()
                                    >= 10);
                    insert(cluster, "pitr", 21, 50);
                    String target = backups.restorePoint();
                    insert(cluster, "pitr", 51, 100); // after the target: must be gone after the restore
                    Duration archiveLag = backups.awaitArchived(Duration.ofSeconds(30));

                    drillStartedMillis = System.currentTimeMillis();
                    drillStarted = System.nanoTime();
                    restore = backups.restoreTo(target, Duration.ofMinutes(2));
                    Awaits.until(Duration.ofSeconds(60), "10 writes of the application after the restore",
                            () -> ops.stream().filter(o -> o.sqlState == null && o.kind.startsWith("write")
                                    && o.startNanos > restoreDone(restore, drillStarted)).count() >= 10);
                    log.info("measured: archiving configured in {} ms, full backup {} ms, incremental {} ms, archive "
                            + "lag {} ms; restore: members stopped after {} ms, removed from the DCS after {} ms, "
                            + "leader {} writable after {} ms, cluster healthy after {} ms",
                            archiving.toMillis(), full.toMillis(), incr.toMillis(), archiveLag.toMillis(),
                            restore.stopped().toMillis(), restore.removed().toMillis(), restore.leader(),
                            restore.leaderWritable().toMillis(), restore.healthy().toMillis());
                    assertThat(leaderGoneAt.get()).as("pgcluster saw the cluster without a leader").isPositive();
                    assertThat(leaderBackAt.get()).as("pgcluster saw the restored leader").isPositive();
                    log.info("pgcluster: no leader from +{} ms to +{} ms after the drill started",
                            (leaderGoneAt.get() - drillStarted) / 1_000_000, (leaderBackAt.get() - drillStarted)
                                    / 1_000_000);
                }

                // exactly the rows committed before the target
                try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT id FROM pitr ORDER BY id")) {
                    List<Long> ids = new ArrayList<>();
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                    assertThat(ids).isEqualTo(LongStream.rangeClosed(1, 50).boxed().collect(Collectors.toList()));
                }
                long sysidAfter = systemIdentifier(cluster);
                int timelineAfter = timeline(cluster);
                log.info("system identifier {} -> {}, timeline {} -> {}", sysidBefore, sysidAfter, timelineBefore,
                        timelineAfter);
                // A physical restore keeps pg_control's system identifier; the new incarnation is a new timeline.
                assertThat(sysidAfter).as("system identifier").isEqualTo(sysidBefore);
                assertThat(ds.topology().systemIdentifier()).as("pgcluster's topology (the DCS initialize key)")
                        .isEqualTo(Long.toUnsignedString(sysidAfter));
                assertThat(timelineAfter).as("timeline").isGreaterThan(timelineBefore);

                Map<String, Long> failures = new TreeMap<>();
                for (Op o : ops) {
                    if (o.sqlState != null) {
                        failures.merge(o.kind + ":" + o.sqlState, 1L, Long::sum);
                    }
                }
                log.info("application: {} operations, failures by SQLState {}", ops.size(), failures);
                for (Op o : ops) {
                    if (o.sqlState == null) {
                        continue;
                    }
                    assertThat(o.sqlState).as("a documented SQLState (docs/failover.md): %s", o).isIn(DOCUMENTED);
                    // the leader's PostgreSQL stops a moment before its key goes: the window opens with the drill
                    assertThat(o.endNanos).as("failed after the drill began stopping the leader: %s", o)
                            .isGreaterThanOrEqualTo(drillStarted);
                    assertThat(o.startNanos).as("started before pgcluster saw the restored leader: %s", o)
                            .isLessThan(leaderBackAt.get());
                }
                List<Op> after = ops.stream().filter(o -> o.sqlState == null && o.startNanos > leaderBackAt.get())
                        .collect(Collectors.toList());
                assertThat(after).as("operations after the restore").isNotEmpty();
                long drillStartedAt = drillStartedMillis;
                assertThat(after).as("every connection after the restore is to a restored server")
                        .allSatisfy(o -> assertThat(o.postmasterStartMillis).isGreaterThan(drillStartedAt));
            }
        }
    }

    private static long restoreDone(PgBackRest.Restore r, long drillStarted) {
        return drillStarted + r.leaderWritable().toNanos();
    }

    /** Two writers (a unit of work and plain JDBC) and a reader; each records where it ran. */
    private static AutoCloseable run(List<Thread> threads, ConcurrentLinkedQueue<Op> ops, PgClusterDataSource ds,
            AtomicLong seq) {
        String where = "SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint, inet_server_port()";
        threads.add(loop("write-uow", ops, () -> ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> {
            try (var ps = c.prepareStatement("INSERT INTO app_log(id) VALUES (?) ON CONFLICT DO NOTHING")) {
                ps.setLong(1, seq.incrementAndGet());
                ps.executeUpdate();
            }
            return place(c, where);
        })));
        threads.add(loop("write-jdbc", ops, () -> {
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (var ps = c.prepareStatement("INSERT INTO app_log(id) VALUES (?)")) {
                    ps.setLong(1, seq.incrementAndGet());
                    ps.executeUpdate();
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
