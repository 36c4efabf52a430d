package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A planned switchover while writers and readers run: writes resume on the new leader, every failed write carries
 * a documented SQLState, nothing reaches a replica, no read fails, and every acknowledged write is on the new
 * leader. For every source.
 */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class SwitchoverIT {
    private static final Logger log = LoggerFactory.getLogger(SwitchoverIT.class);
    private static final Set<String> DOCUMENTED = Set.of("08001", "08006", "08007");

    /**
     * Each test switches over; the next one starts on a healthy cluster (every replica streaming from the new
     * leader), or a switchover could pick a replica that has not caught up yet, and lose what it had not received.
     */
    @BeforeEach
    void healthy(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @ParameterizedTest
    @EnumSource(value = Sources.class, mode = EnumSource.Mode.MATCH_NONE, names = Sources.ON_ETCD)
    void switchoverUnderLoad(Sources source, PatroniCluster cluster) throws Exception {
        switchoverUnderLoad(source.name().toLowerCase(), source.config(cluster), cluster);
    }

    /** The body, for any configuration of the cluster (PoolerPerNodeIT: through the poolers); label names the table. */
    static void switchoverUnderLoad(String label, PgClusterConfig.Builder config, PatroniCluster cluster)
            throws Exception {
        String table = "switchover_" + label;
        Tables.recreate(cluster, table);
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        try (PgClusterDataSource ds = new PgClusterDataSource(config.build());
                Workload w = new Workload(5)) {
            // plain JDBC transactions: a failure is reported with its SQLState, never retried behind our back
            w.writer("tx", seq -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    String where = insert(c, table, seq, cluster);
                    c.commit();
                    acknowledged.add(seq);
                    return where;
                }
            });
            // the unit-of-work API with an idempotent write: retried through the switchover
            w.writer("idempotent", seq -> ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> {
                String where = insert(c, table, seq, cluster);
                acknowledged.add(seq);
                return where;
            }));
            // auto-commit read-only statements: retried invisibly on another member
            w.reader("autocommit", seq -> Sources.readWhere(ds, cluster));
            w.reader("unit-of-work", seq -> ds.inTransaction(TransactionMode.READ_ONLY,
                    c -> Sources.where(cluster, c)));

            Thread.sleep(1500);
            String oldLeader = cluster.leader().name();
            long before = w.writes();
            long switchStart = System.nanoTime();
            PatroniNode newLeader = cluster.switchover();
            log.info("{}: switchover {} -> {} took {} ms", label, oldLeader, newLeader.name(),
                    (System.nanoTime() - switchStart) / 1_000_000L);
            Awaits.until(Duration.ofSeconds(40), "writes on the new leader " + newLeader.name(),
                    () -> w.placed("write", newLeader.name() + "/primary") >= 20);
            Thread.sleep(1000);
            w.close();
            log.info("{}: {}", label, w.summary());

            assertThat(w.writes()).isGreaterThan(before);
            assertThat(w.failures("read")).as("failed reads: %s", w.failures()).isZero();
            Map<String, Long> failures = w.failures();
            assertThat(failures.keySet()).as("only documented SQLStates: %s", failures)
                    .allSatisfy(k -> assertThat(DOCUMENTED).contains(k.substring(k.indexOf(':') + 1)));
            assertThat(w.placements().keySet()).as("no write ran on a replica")
                    .noneMatch(k -> k.startsWith("write@") && k.endsWith("/replica"));
            assertThat(w.placed("write", newLeader.name() + "/primary")).isPositive();
        }
        assertThat(storedIds(cluster, table)).as("every acknowledged write survived the switchover")
                .containsAll(acknowledged);
    }

    /**
     * A transaction open on the leader when it is switched away: its pool is shut down under it, so COMMIT reports
     * 08006 or 08007, close() returns quietly (HikariCP's own clean-up of a connection whose pool is gone must not
     * reach the caller), and the same logical connection runs its next transaction on the new leader.
     */
    @Test
    void aTransactionOpenAcrossASwitchoverFailsPreciselyAndTheConnectionStaysUsable(PatroniCluster cluster)
            throws Exception {
        String table = "switchover_open_tx";
        Tables.recreate(cluster, table);
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build())) {
            Connection c = ds.getConnection();
            c.setAutoCommit(false);
            String oldLeader = cluster.leader().name();
            assertThat(insert(c, table, 1, cluster)).isEqualTo(oldLeader + "/primary");
            PatroniNode newLeader = cluster.switchover();
            Awaits.until(Duration.ofSeconds(20), "the topology naming " + newLeader.name(),
                    () -> ds.topology().leader() != null && ds.topology().leader().name().equals(newLeader.name()));
            assertThatThrownBy(c::commit).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(Set.of("08006", "08007")).contains(((SQLException) e).getSQLState()));
            c.rollback();
            assertThat(insert(c, table, 2, cluster)).as("the next transaction").isEqualTo(newLeader.name() + "/primary");
            c.commit();
            c.close(); // returns quietly
        }
    }

    /**
     * A read-write transaction whose leader lost the leader key before COMMIT: COMMIT is never sent to that member
     * (it may be rewound); the transaction is rolled back and the failure says so with 08006, never a success.
     */
    @Test
    void aCommitAfterTheLeaderLostTheKeyIsRolledBackAndSaysSo(PatroniCluster cluster) throws Exception {
        String table = "switchover_commit_retired";
        Tables.recreate(cluster, table);
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build());
                Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            String oldLeader = cluster.leader().name();
            assertThat(insert(c, table, 1, cluster)).isEqualTo(oldLeader + "/primary");
            PatroniNode newLeader = cluster.switchover();
            awaitRouted(ds, newLeader);
            assertThatThrownBy(c::commit).isInstanceOf(SQLException.class)
                    .hasMessageContaining(oldLeader + " lost the leader key before COMMIT")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08006"));
            c.rollback();
            assertThat(insert(c, table, 2, cluster)).as("the next transaction")
                    .isEqualTo(newLeader.name() + "/primary");
            c.commit();
        }
        assertThat(storedIds(cluster, table)).as("only the second transaction committed").containsExactly(2L);
    }

    /**
     * COPY through the unwrapped pgjdbc connection, as the first work of a transaction, then a switchover: the
     * logical connection must not rebind behind the caller's back (the copied rows would be rolled back silently
     * while the rest of the transaction commits on the new leader). It stays on the old leader, whose session the
     * switchover ended, so the transaction fails with 08006 and nothing of it is committed.
     */
    @Test
    void aCopyThroughUnwrapIsNeverLostSilentlyAcrossASwitchover(PatroniCluster cluster) throws Exception {
        String table = "switchover_copy";
        Tables.recreate(cluster, table);
        SQLException failure = null;
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build());
                Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long copied = copy.copyIn("COPY " + table + " (id, port) FROM STDIN (FORMAT csv)",
                    new StringReader("1,0\n2,0\n3,0\n"));
            assertThat(copied).isEqualTo(3);
            PatroniNode newLeader = cluster.switchover();
            awaitRouted(ds, newLeader);
            try {
                insert(c, table, 100, cluster);
                c.commit();
            } catch (SQLException e) {
                failure = e;
                c.rollback();
            }
        }
        Set<Long> stored = storedIds(cluster, table);
        // before: the INSERT rebound to the new leader and the commit succeeded there, without the copied rows
        assertThat((Throwable) failure)
                .as("the transaction stays on the old leader and cannot commit; stored: %s", stored).isNotNull();
        assertThat(failure.getSQLState()).as("%s", failure).isEqualTo("08006");
        assertThat(stored).as("nothing of the transaction committed").isEmpty();
    }

    /** Until the router (not only the view) routes to {@code newLeader}: the old write pool is retired by then. */
    private static void awaitRouted(PgClusterDataSource ds, PatroniNode newLeader) throws Exception {
        Awaits.until(Duration.ofSeconds(20), "routing to " + newLeader.name(),
                () -> ds.health().leader() != null && ds.health().leader().name().equals(newLeader.name()));
    }

    private static Set<Long> storedIds(PatroniCluster cluster, String table) throws Exception {
        return Tables.ids(cluster, "SELECT id FROM " + table);
    }

    private static String insert(Connection c, String table, long seq, PatroniCluster cluster)
            throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(id, port) VALUES (?, "
                + "inet_server_port()) ON CONFLICT (id) DO NOTHING")) {
            ps.setLong(1, seq);
            ps.executeUpdate();
        }
        return Sources.where(cluster, c);
    }
}
