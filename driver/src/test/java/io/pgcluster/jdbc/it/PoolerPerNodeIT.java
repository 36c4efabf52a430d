package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.NodePoolers;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import io.pgcluster.jdbc.topology.Member;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.postgresql.PGConnection;
import org.postgresql.core.BaseConnection;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pooler=node against a rig with a PgBouncer (transaction pooling, 1.18) next to each node, which Patroni publishes as
 * the member's proxy_url: pgcluster follows the DCS and connects through each member's PgBouncer; routing, prepared
 * statements, batches, the read-only flag and the isolation level (set per transaction) work through it, server
 * connections stay at PgBouncer's pool size, a demoted leader's refusal (25006) never reaches the application while
 * pgcluster's view is held still (the rig's fault proxy in front of etcd), and a switchover and a kill -9 of the
 * primary keep the guarantees of {@link SwitchoverIT} and {@link KillPrimaryIT}.
 */
@PatroniClusterTest
@ClusterConfig(poolerPerNode = true, faultProxies = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolerPerNodeIT {
    private static final Logger log = LoggerFactory.getLogger(PoolerPerNodeIT.class);
    /** More executions than pgjdbc's default prepareThreshold (5), after which it would name a server statement. */
    private static final int EXECUTIONS = 30;

    @BeforeEach
    void healthy(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    private static PgClusterConfig.Builder pooled(PatroniCluster cluster) {
        return Sources.ETCD.config(cluster).pooler(PgClusterConfig.Pooler.NODE);
    }

    @Test
    @Order(1)
    void routingAndTheReadOnlyFlagGoThroughEachMembersPooler(PatroniCluster cluster) throws Exception {
        String table = "pooler_routing";
        Tables.recreate(cluster, table);
        NodePoolers poolers = cluster.nodePoolers();
        // read-your-writes off: the read-only read right after the write below checks routing, and with it on it
        // goes to the leader until a replica has replayed the write (ReadYourWritesIT covers that through pgcluster)
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).set("readYourWrites", "off").build())) {
            Awaits.until(Duration.ofSeconds(10), "every member with its proxy_url",
                    () -> ds.topology().members().size() == cluster.nodes().size()
                            && ds.topology().members().stream().allMatch(Member::hasProxy));
            for (PatroniNode n : cluster.nodes()) {
                Member m = ds.topology().member(n.name());
                assertThat(m.proxyPort()).as("%s's proxy_url, read from etcd", n.name()).isEqualTo(poolers.port(n));
                assertThat(m.port()).isEqualTo(n.connectPort());
            }
            String leader = cluster.leader().name();
            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
                assertThat(physicalPort(c)).as("pgcluster's physical connection goes to the leader's PgBouncer")
                        .isEqualTo(poolers.port(cluster.leader()));
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO " + table + "(id) VALUES (1)");
                    assertThat(setting(s, "transaction_read_only")).isEqualTo("off");
                }
                c.commit();
                c.setAutoCommit(true);
                c.setReadOnly(true);
                assertThat(Sources.where(cluster, c)).endsWith("/replica");
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    assertThat(setting(s, "transaction_read_only")).isEqualTo("on");
                }
                c.commit();
            }
            Set<String> readers = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 20; i++) {
                readers.add(ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c)));
            }
            assertThat(readers).as("read-only work on replicas only").allMatch(w -> w.endsWith("/replica"));

            // pgjdbc's readOnlyMode=transaction sends BEGIN READ ONLY, never SET SESSION CHARACTERISTICS: the
            // replicas' pooled server sessions, which other clients get next, are left as they were
            for (PatroniNode n : cluster.replicas()) {
                try (Connection raw = raw(cluster, poolers.port(n)); Statement s = raw.createStatement()) {
                    for (int i = 0; i < NodePoolers.POOL_SIZE * 2; i++) {
                        assertThat(setting(s, "default_transaction_read_only")).as("a session on %s", n.name())
                                .isEqualTo("off");
                    }
                }
            }
            try (Connection c = ds.getConnection()) {
                assertThatThrownBy(() -> c.setSchema("other")).isInstanceOf(SQLFeatureNotSupportedException.class)
                        .hasMessageContaining("pooler=node");
            }
        }
    }

    /**
     * The isolation level through the pooler, in the calls Spring's DataSourceTransactionManager makes for
     * {@code @Transactional(isolation = SERIALIZABLE)} (DataSourceUtils: read the level, set it, auto-commit off;
     * after the commit auto-commit on, the previous level back): each transaction runs serializable on whatever
     * server session it gets, and no server session is left serializable for the PgBouncer's next client.
     */
    @Test
    @Order(2)
    void aSerializableTransactionThroughThePoolerRunsSerializableAndLeavesNothingBehind(PatroniCluster cluster)
            throws Exception {
        String table = "pooler_isolation";
        Tables.recreate(cluster, table);
        PatroniNode leader = cluster.leader();
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).build())) {
            for (int tx = 0; tx < 2 * NodePoolers.POOL_SIZE; tx++) {
                try (Connection c = ds.getConnection()) {
                    int previous = c.getTransactionIsolation();
                    assertThat(previous).isEqualTo(Connection.TRANSACTION_READ_COMMITTED);
                    c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
                    assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        assertThat(show(s, "transaction_isolation")).as("transaction %s", tx).isEqualTo("serializable");
                        s.executeUpdate("INSERT INTO " + table + "(id) VALUES (" + tx + ")");
                        assertThat(show(s, "transaction_isolation")).isEqualTo("serializable");
                    }
                    c.commit();
                    try (Statement s = c.createStatement()) {
                        assertThat(show(s, "transaction_isolation")).as("the next transaction, same level")
                                .isEqualTo("serializable");
                    }
                    c.commit();
                    c.setAutoCommit(true);
                    try (Statement s = c.createStatement()) {
                        assertThat(show(s, "transaction_isolation")).as("auto-commit: nothing is sent")
                                .isEqualTo("read committed");
                    }
                    c.setTransactionIsolation(previous);
                }
            }
        }
        // the PgBouncer's next client: every server session of its pool at the default
        try (Connection raw = raw(cluster, cluster.nodePoolers().port(leader)); Statement s = raw.createStatement()) {
            for (int i = 0; i < NodePoolers.POOL_SIZE * 2; i++) {
                assertThat(show(s, "transaction_isolation")).as("a session on %s", leader.name())
                        .isEqualTo("read committed");
                assertThat(show(s, "default_transaction_isolation")).isEqualTo("read committed");
            }
        }
    }

    @Test
    @Order(3)
    void preparedStatementsAndBatchesRunManyTimesAcrossPooledSessions(PatroniCluster cluster) throws Exception {
        String table = "pooler_prepared";
        Tables.recreate(cluster, table);
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).set("writePoolSize", "8")
                .set("readPoolSize", "8").build())) {
            AtomicInteger ids = new AtomicInteger();
            List<SQLException> failures = concurrently(6, () -> {
                try (Connection c = ds.getConnection()) {
                    // auto-commit: each execution is its own transaction, on whichever server session is free
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(id, port) VALUES (?, "
                            + "inet_server_port())")) {
                        for (int i = 0; i < EXECUTIONS; i++) {
                            ps.setLong(1, ids.incrementAndGet());
                            assertThat(ps.executeUpdate()).isEqualTo(1);
                        }
                    }
                    // batches of a prepared statement, each batch one transaction
                    c.setAutoCommit(false);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(id) VALUES (?)")) {
                        for (int b = 0; b < 10; b++) {
                            for (int i = 0; i < 20; i++) {
                                ps.setLong(1, 1_000_000 + ids.incrementAndGet());
                                ps.addBatch();
                            }
                            assertThat(ps.executeBatch()).hasSize(20).containsOnly(1);
                            c.commit();
                        }
                    }
                    c.setAutoCommit(true);
                    // reads on the replicas, the same statement many times
                    c.setReadOnly(true);
                    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table + " WHERE id > ?")) {
                        for (int i = 0; i < EXECUTIONS; i++) {
                            ps.setLong(1, i);
                            try (ResultSet rs = ps.executeQuery()) {
                                assertThat(rs.next()).isTrue();
                            }
                        }
                    }
                }
            });
            assertThat(failures).as("no execution failed").isEmpty();
            try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(6L * (EXECUTIONS + 200));
            }
        }

        // the same work with pgjdbc's default prepareThreshold given explicitly fails: named statements do not
        // survive a transaction behind PgBouncer 1.18, which is why pooler=node sets prepareThreshold=0
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).set("prepareThreshold", "5")
                .set("writePoolSize", "8").build())) {
            List<SQLException> failures = concurrently(8, () -> {
                try (Connection c = ds.getConnection();
                        PreparedStatement ps = c.prepareStatement("SELECT ?::int + inet_server_port()")) {
                    for (int i = 0; i < 10 * EXECUTIONS; i++) {
                        ps.setInt(1, i);
                        ps.executeQuery().close();
                    }
                }
            });
            log.info("with prepareThreshold=5 through PgBouncer: {} of 8 workers failed, first: {}", failures.size(),
                    failures.isEmpty() ? "-" : failures.get(0).toString());
            assertThat(failures).as("the control: named statements break behind the pooler").isNotEmpty();
        }
    }

    @Test
    @Order(4)
    void serverConnectionsStayAtThePoolersPoolSize(PatroniCluster cluster) throws Exception {
        PatroniNode leader = cluster.leader();
        int clients = 10;
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).set("writePoolSize", "10").build())) {
            AtomicBoolean done = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<?>> running = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    running.add(pool.submit(() -> {
                        while (!done.get()) {
                            ds.inTransaction(TransactionMode.READ_WRITE, c -> {
                                try (Statement s = c.createStatement()) {
                                    s.execute("SELECT pg_sleep(0.05)");
                                }
                                return null;
                            });
                        }
                        return null;
                    }));
                }
                int most = 0;
                int mostClients = 0;
                int pooler = cluster.nodePoolers().port(leader);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                try (Connection su = cluster.connectSuperuser(leader); Statement s = su.createStatement()) {
                    while (System.nanoTime() < deadline) {
                        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = '"
                                + cluster.user() + "' AND backend_type = 'client backend'")) {
                            rs.next();
                            most = Math.max(most, rs.getInt(1));
                        }
                        mostClients = Math.max(mostClients, connectionsTo(pooler));
                        Thread.sleep(20);
                    }
                }
                done.set(true);
                for (Future<?> f : running) {
                    f.get(30, TimeUnit.SECONDS);
                }
                log.info("{} workers: at most {} client connections at {}'s PgBouncer, {} backends of {} on the "
                        + "server", clients, mostClients, leader.name(), most, cluster.user());
                assertThat(mostClients).as("pgcluster's write pool opened more connections than PgBouncer's pool size")
                        .isGreaterThan(NodePoolers.POOL_SIZE);
                assertThat(most).as("backends of %s on %s", cluster.user(), leader.name()).isPositive()
                        .isLessThanOrEqualTo(NodePoolers.POOL_SIZE);
            } finally {
                done.set(true);
                pool.shutdownNow();
            }
        }
    }

    /**
     * A demoted leader behind its PgBouncer while pgcluster's view is held still (etcd cut off from pgcluster
     * only, Patroni switches over): the leader's pooled client sessions outlive the demotion and reach the server
     * now in recovery, which refuses writes with 25006. The application never sees 25006 and never a success: a
     * later statement of a transaction gets 08006 (nothing written), an auto-commit write is run again for the
     * leader, whose pool admits no connection to a server in recovery, so it gets 08001 after failoverTimeout; once
     * the view catches up, writes succeed on the new leader.
     */
    @Test
    @Order(5)
    void aDemotedLeadersRefusalThroughItsPoolerNeverReachesTheApplication(PatroniCluster cluster) throws Exception {
        String table = "pooler_standby";
        Tables.recreate(cluster, table);
        PatroniNode oldLeader = cluster.leader();
        int oldPooler = cluster.nodePoolers().port(oldLeader);
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).set("failoverTimeout", "2s").build());
                Connection auto = ds.getConnection(); Connection tx = ds.getConnection()) {
            // both bind a session with the old leader's PgBouncer and keep it between statements
            for (Connection c : List.of(auto, tx)) {
                insert(c, table, c == auto ? 1 : 2);
                assertThat(physicalPort(c)).isEqualTo(oldPooler);
            }
            PatroniNode newLeader;
            cluster.etcdFaultProxy().blackhole(); // pgcluster hears nothing more from etcd; Patroni talks to it directly
            try {
                newLeader = cluster.switchover();
                Awaits.until(Duration.ofSeconds(30), oldLeader.name() + " back as a replica", () -> {
                    try (Connection su = cluster.connectSuperuser(oldLeader); Statement s = su.createStatement();
                            ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                        return rs.next() && rs.getBoolean(1);
                    } catch (SQLException e) {
                        return false;
                    }
                });
                assertThat(ds.topology().leader().name()).as("pgcluster's view, held still")
                        .isEqualTo(oldLeader.name());

                tx.setAutoCommit(false);
                assertThat(Sources.where(cluster, tx)).as("the old leader's pooled session reaches its server")
                        .isEqualTo(oldLeader.name() + "/replica");
                assertThatThrownBy(() -> insert(tx, table, 3)).as("a later statement: the transaction is lost")
                        .hasMessageContaining("is no longer the leader").hasMessageContaining("nothing was written")
                        .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
                tx.rollback();

                long start = System.nanoTime();
                assertThatThrownBy(() -> insert(auto, table, 4)).as("an auto-commit write: no leader in time")
                        .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.UNABLE_TO_CONNECT);
                log.info("auto-commit write with the view held still: 08001 after {} ms",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } finally {
                cluster.etcdFaultProxy().pass();
            }
            Awaits.until(Duration.ofSeconds(20), "pgcluster sees " + newLeader.name(),
                    () -> newLeader.name().equals(ds.topology().leader() == null ? null : ds.topology().leader().name()));
            insert(auto, table, 5);
            insert(tx, table, 6);
            tx.commit();
            assertThat(Sources.where(cluster, auto)).isEqualTo(newLeader.name() + "/primary");
            try (Connection c = Tables.direct(cluster, newLeader); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT string_agg(id::text, ',' ORDER BY id) FROM " + table)) {
                rs.next();
                assertThat(rs.getString(1)).as("the refused writes wrote nothing").isEqualTo("1,2,5,6");
            }
        }
    }

    private static void insert(Connection c, String table, long id) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO " + table + "(id, port) VALUES (" + id + ", inet_server_port())");
        }
    }

    @Test
    @Order(6)
    void aSwitchoverThroughThePoolersKeepsTheGuaranteesAndTheRoleCheckSeesTheServer(PatroniCluster cluster)
            throws Exception {
        PatroniNode oldLeader = cluster.leader();
        int oldLeadersPooler = cluster.nodePoolers().port(oldLeader);
        // a session with the old leader's PgBouncer, opened before the switchover: it outlives the demotion
        try (Connection before = raw(cluster, oldLeadersPooler); Statement s = before.createStatement()) {
            assertThat(setting(s, "transaction_read_only")).isEqualTo("off");
            SwitchoverIT.switchoverUnderLoad("pooler", pooled(cluster), cluster);
            PatroniNode newLeader = cluster.leader();
            assertThat(newLeader.name()).isNotEqualTo(oldLeader.name());
            try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("pg_is_in_recovery() through the same pooled session after the "
                        + "switchover: the server as it is now").isTrue();
                assertThat(rs.getInt(2)).isEqualTo(oldLeader.pgPort());
            }
        }
        PatroniNode newLeader = cluster.leader();
        try (PgClusterDataSource ds = new PgClusterDataSource(pooled(cluster).build());
                Connection c = ds.getConnection()) {
            assertThat(Sources.where(cluster, c)).as("writes through the new leader's pooler")
                    .isEqualTo(newLeader.name() + "/primary");
        }
    }

    @Test
    @Order(7)
    void aKillOfThePrimaryThroughThePoolersKeepsTheGuarantees(PatroniCluster cluster) throws Exception {
        new KillPrimaryIT().writesResumeOnTheNewLeader("pooler", pooled(cluster), cluster);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /** Runs {@code work} on {@code threads} threads at once; the SQL failures they ended with. */
    private static List<SQLException> concurrently(int threads, SqlWork work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<SQLException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                fs.add(pool.submit(() -> {
                    try {
                        work.run();
                    } catch (SQLException e) {
                        failures.add(e);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return failures;
    }

    @FunctionalInterface
    private interface SqlWork {
        void run() throws SQLException;
    }

    /** A plain pgjdbc connection (not pgcluster's) as the application user to a PgBouncer's port. */
    private static Connection raw(PatroniCluster cluster, int port) throws SQLException {
        return DriverManager.getConnection(cluster.jdbcUrl("127.0.0.1", port) + "?prepareThreshold=0",
                cluster.user(), cluster.password());
    }

    private static String show(Statement s, String name) throws SQLException {
        try (ResultSet rs = s.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String setting(Statement s, String name) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT current_setting('" + name + "')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The port pgcluster's physical connection (pgjdbc's) is connected to. */
    private static int physicalPort(Connection c) throws SQLException {
        return ((BaseConnection) c.unwrap(PGConnection.class)).getQueryExecutor().getHostSpec().getPort();
    }

    /**
     * Established TCP connections to {@code port} on the loopback host, from /proc/net/tcp and tcp6 (this rig's clients of a
     * PgBouncer: pgcluster's physical connections; pgjdbc cannot talk to PgBouncer's admin console, which refuses
     * the SETs pgjdbc sends to a server of version "1.18").
     */
    private static int connectionsTo(int port) throws java.io.IOException {
        String hexPort = String.format(":%04X", port);
        int n = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) { // Java's sockets are dual-stack: tcp6
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[2].endsWith(hexPort) && f[3].equals("01")) {
                    n++;
                }
            }
        }
        return n;
    }
}
