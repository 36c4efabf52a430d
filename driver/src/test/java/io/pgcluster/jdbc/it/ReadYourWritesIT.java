package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.internal.metrics.ClusterMetrics;
import io.pgcluster.testkit.LagHandle;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Read-your-writes (issue 12): with both replicas made to lag, a read-only transaction right after a write never
 * misses it with {@code readYourWrites=jvm}, and does miss it with {@code off} (so the check can fail); a position
 * handed to another data source (another process) makes its reads fresh too.
 */
@PatroniClusterTest
class ReadYourWritesIT {
    private static final String TABLE = "ryw";
    private static final int ROUNDS = 50;

    @Test
    @SuppressWarnings("try") // lag handles and scopes are used for their close()
    void readsSeeOwnWritesWhileReplicasLag(PatroniCluster cluster) throws Exception {
        Tables.recreate(cluster, TABLE);
        awaitTableOnReplicas(cluster);
        Counts counts = new Counts();
        try (PgClusterDataSource jvm = new PgClusterDataSource(Sources.ETCD.config(cluster).name("it-ryw")
                        .set("readYourWritesTimeout", "50ms").build());
                PgClusterDataSource off = new PgClusterDataSource(Sources.ETCD.config(cluster).name("it-ryw-off")
                        .set("readYourWrites", "off").build());
                PgClusterDataSource other = new PgClusterDataSource(Sources.ETCD.config(cluster).name("it-ryw-other")
                        .build())) {
            jvm.addMetrics(counts);
            awaitReplicas(jvm);
            awaitReplicas(off);
            awaitReplicas(other);
            // no lag: where each read runs depends on how soon the replica replays; it never misses the row. The
            // times printed are what chose readYourWritesTimeout's default (docs/configuration.md), not asserted.
            long[] writeMicros = new long[ROUNDS];
            long[] readMicros = new long[ROUNDS];
            long[] offWriteMicros = new long[ROUNDS];
            for (int i = 1; i <= ROUNDS; i++) {
                long t0 = System.nanoTime();
                write(off, 10_000 + i);
                long t1 = System.nanoTime();
                write(jvm, i);
                long t2 = System.nanoTime();
                assertThat(readOnly(cluster, jvm, i)).as("row %d, no lag", i).endsWith(":found");
                long t3 = System.nanoTime();
                offWriteMicros[i - 1] = (t1 - t0) / 1000;
                writeMicros[i - 1] = (t2 - t1) / 1000;
                readMicros[i - 1] = (t3 - t2) / 1000;
            }
            assertThat(counts.replica.get() + counts.waited.get() + counts.leader.get()).isEqualTo(ROUNDS);
            System.out.printf("ReadYourWritesIT no lag, %d reads right after a write: %d on a replica at once, %d on "
                    + "a replica after waiting, %d on the leader; write transaction us p50/p90/max: off %s, jvm %s; "
                    + "read right after it: %s%n", ROUNDS, counts.replica.get(), counts.waited.get(),
                    counts.leader.get(), percentiles(offWriteMicros), percentiles(writeMicros),
                    percentiles(readMicros));
            assertThat(jvm.writePosition()).matches("[0-9A-F]+/[0-9A-F]+");
            // how long after a commit returns a replica has replayed it (for the default; printed, not asserted)
            long[] replayMicros = new long[ROUNDS];
            try (Connection replica = Tables.direct(cluster, cluster.replicas().get(0));
                    PreparedStatement ps = replica.prepareStatement("SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn")) {
                for (int i = 0; i < ROUNDS; i++) {
                    write(jvm, 20_000 + i);
                    long t0 = System.nanoTime();
                    ps.setString(1, jvm.writePosition());
                    while (true) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            if (rs.getBoolean(1)) {
                                break;
                            }
                        }
                    }
                    replayMicros[i] = (System.nanoTime() - t0) / 1000;
                }
            }
            System.out.printf("ReadYourWritesIT no lag: a replica replayed a commit us p50/p90/max after it returned: "
                    + "%s%n", percentiles(replayMicros));

            PatroniNode first = cluster.replicas().get(0);
            PatroniNode second = cluster.replicas().get(1);
            try (LagHandle a = first.induceLag(); LagHandle b = second.induceLag()) {
                int leaderBefore = counts.leader.get();
                for (int i = 101; i <= 110; i++) {
                    write(jvm, i);
                    assertThat(readOnly(cluster, jvm, i)).as("row %d, replicas lag", i)
                            .isEqualTo(cluster.leader().name() + "/primary:found");
                }
                assertThat(counts.leader.get() - leaderBefore).as("reads sent to the leader for freshness")
                        .isEqualTo(10);

                // an auto-commit write is covered too
                try (Connection c = jvm.getConnection(); Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO " + TABLE + "(id) VALUES (150)");
                }
                assertThat(readOnly(cluster, jvm, 150)).as("after an auto-commit INSERT")
                        .isEqualTo(cluster.leader().name() + "/primary:found");

                write(off, 201);
                assertThat(readOnly(cluster, off, 201)).as("readYourWrites=off reads a lagging replica")
                        .endsWith("/replica:missing");

                write(jvm, 301);
                String token = jvm.writePosition();
                assertThat(readOnly(cluster, other, 301)).as("another process without the token")
                        .endsWith("/replica:missing");
                try (PgClusterDataSource.ReadScope fresh = other.readAtLeast(token)) {
                    assertThat(readOnly(cluster, other, 301)).as("another process with token " + token)
                            .endsWith("/primary:found");
                }
                assertThat(readOnly(cluster, other, 301)).as("after the scope closed").endsWith("/replica:missing");
            }
            assertThatThrownBy(() -> other.readAtLeast("3000148")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'3000148'").hasMessageContaining("0/3000148");
        }
    }

    /** A read that may wait long enough for a replica to catch up is served by that replica once it has. */
    @Test
    @SuppressWarnings("try")
    void aReadWaitsForItsReplicaToCatchUp(PatroniCluster cluster) throws Exception {
        Counts counts = new Counts();
        try (PgClusterDataSource ds = freshTableAndSource(cluster, "it-ryw-wait", "20s", counts)) {
            LagHandle a = cluster.replicas().get(0).induceLag();
            LagHandle b = cluster.replicas().get(1).induceLag();
            write(ds, 1);
            Thread release = new Thread(() -> {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                a.close();
                b.close();
            });
            long start = System.nanoTime();
            release.start();
            String where = readOnly(cluster, ds, 1);
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            release.join();
            assertThat(where).endsWith("/replica:found");
            assertThat(waitedMillis).as("the read waited for the replica").isGreaterThanOrEqualTo(900);
            assertThat(counts.waited.get()).isEqualTo(1);
            assertThat(counts.leader.get()).isZero();
        }
    }

    /**
     * kill -9 of the primary while both replicas lag: until the leader key expires the topology still names the dead
     * leader; a read whose replica is behind finds that leader refusing and runs on the replica at once instead of
     * waiting for a new leader (reads keep flowing). The row it does not see was never replicated: it is lost with
     * the old leader.
     */
    @Test
    @SuppressWarnings("try")
    void readsDoNotWaitForAKilledLeader(PatroniCluster cluster) throws Exception {
        try (PgClusterDataSource ds = freshTableAndSource(cluster, "it-ryw-kill", "50ms", new Counts())) {
            String killed = cluster.leader().name();
            try (LagHandle a = cluster.replicas().get(0).induceLag();
                    LagHandle b = cluster.replicas().get(1).induceLag()) {
                write(ds, 1);
                assertThat(ds.writePosition()).isNotNull();
                cluster.killPrimary();
                for (int i = 0; i < 5; i++) {
                    assertThat(readOnly(cluster, ds, 1)).as("read %d after the kill", i).endsWith("/replica:missing");
                }
                assertThat(ds.topology().leader()).as("the topology still names the killed leader").isNotNull()
                        .satisfies(m -> assertThat(m.name()).isEqualTo(killed));
            }
        } finally {
            cluster.restoreHealthy(Duration.ofMinutes(2));
        }
    }

    /** Table {@value #TABLE} created anew and on both replicas, and a data source that sees two replicas. */
    private static PgClusterDataSource freshTableAndSource(PatroniCluster cluster, String name, String timeout,
            Counts counts) throws Exception {
        Tables.recreate(cluster, TABLE);
        awaitTableOnReplicas(cluster);
        PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).name(name)
                .set("readYourWritesTimeout", timeout).build());
        ds.addMetrics(counts);
        awaitReplicas(ds);
        return ds;
    }

    private static void write(PgClusterDataSource ds, long id) throws SQLException {
        ds.inTransaction(TransactionMode.READ_WRITE, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + "(id) VALUES (?)")) {
                ps.setLong(1, id);
                return ps.executeUpdate();
            }
        });
    }

    /** Where a read-only transaction ran and whether it found row {@code id}: {@code pg2/replica:found}. */
    private static String readOnly(PatroniCluster cluster, PgClusterDataSource ds, long id) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(true);
            c.setAutoCommit(false);
            String where = Sources.where(cluster, c);
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    where += rs.next() ? ":found" : ":missing";
                }
            }
            c.commit();
            return where;
        }
    }

    private static String percentiles(long[] micros) {
        long[] sorted = micros.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2] + "/" + sorted[sorted.length * 9 / 10] + "/" + sorted[sorted.length - 1];
    }

    private static void awaitTableOnReplicas(PatroniCluster cluster) throws Exception {
        for (PatroniNode n : cluster.replicas()) {
            Awaits.until(Duration.ofSeconds(30), TABLE + " on " + n.name(), () -> {
                try (Connection c = Tables.direct(cluster, n); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
                    return rs.next() && rs.getBoolean(1);
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    private static void awaitReplicas(PgClusterDataSource ds) throws InterruptedException {
        Awaits.until(Duration.ofSeconds(30), "two replicas eligible for reads in " + ds.name(),
                () -> ds.topology().leader() != null
                        && ds.topology().replicas().stream().filter(m -> m.isRunning() && m.lagBytes() >= 0)
                                .count() == 2);
    }

    private static final class Counts implements ClusterMetrics {
        final AtomicInteger replica = new AtomicInteger();
        final AtomicInteger waited = new AtomicInteger();
        final AtomicInteger leader = new AtomicInteger();

        @Override
        public void freshRead(boolean wait, boolean toLeader) {
            (toLeader ? leader : wait ? waited : replica).incrementAndGet();
        }
    }
}
