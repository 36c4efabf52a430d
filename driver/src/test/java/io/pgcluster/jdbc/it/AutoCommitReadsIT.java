package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code autoCommitReads=replica} on a real cluster: an auto-commit SELECT runs on a replica, what must not (locks,
 * sequences, a listed write function, the hint) on the leader; and such SELECTs keep succeeding from the replicas
 * through a kill -9 of the primary, without waiting for a new leader.
 */
@PatroniClusterTest
@ClusterConfig
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the kill last: the routing test wants both replicas
class AutoCommitReadsIT {
    private static final Logger log = LoggerFactory.getLogger(AutoCommitReadsIT.class);
    private static final String WHERE = "inet_server_port(), pg_is_in_recovery()";

    private static PgClusterDataSource dataSource(PatroniCluster cluster) {
        return new PgClusterDataSource(Sources.ETCD.config(cluster).set("autoCommitReads", "replica")
                .set("writeFunctions", "acr_write").build());
    }

    /** Where {@code sql}, whose first two columns are {@link #WHERE}, ran: "pgN/replica" or "pgN/primary". */
    private static String where(PatroniCluster cluster, Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return where(cluster, rs);
        }
    }

    private static String where(PatroniCluster cluster, ResultSet rs) throws SQLException {
        rs.next();
        return Sources.nodeName(cluster, rs.getInt(1)) + (rs.getBoolean(2) ? "/replica" : "/primary");
    }

    @Test
    @Order(1)
    void autoCommitSelectsRunOnReplicasAndWhatMustNotOnTheLeader(PatroniCluster cluster) throws Exception {
        String leader = cluster.leader().name() + "/primary";
        Tables.recreate(cluster, "acr_t");
        try (Connection d = Tables.direct(cluster, cluster.leader()); Statement s = d.createStatement()) {
            s.execute("INSERT INTO acr_t (id) VALUES (1)");
            s.execute("DROP SEQUENCE IF EXISTS acr_seq");
            s.execute("CREATE SEQUENCE acr_seq");
            s.execute("CREATE OR REPLACE FUNCTION acr_write() RETURNS int LANGUAGE sql AS 'SELECT 1'");
        }
        try (PgClusterDataSource ds = dataSource(cluster)) {
            RoutingIT.awaitReplicasCurrent(Sources.ETCD, cluster, ds);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                assertThat(where(cluster, s, "SELECT " + WHERE)).endsWith("/replica");
                assertThat(where(cluster, s, "SELECT " + WHERE + " FROM acr_t WHERE id = 1 FOR UPDATE"))
                        .as("FOR UPDATE").isEqualTo(leader);
                assertThat(where(cluster, s, "SELECT " + WHERE + ", nextval('acr_seq')")).as("nextval")
                        .isEqualTo(leader);
                assertThat(where(cluster, s, "/* pgcluster:leader */ SELECT " + WHERE)).as("the hint")
                        .isEqualTo(leader);
                assertThat(where(cluster, s, "SELECT " + WHERE + ", public.ACR_WRITE()")).as("writeFunctions")
                        .isEqualTo(leader);
                assertThat(where(cluster, s, "SELECT " + WHERE + " FROM acr_t")).as("and back").endsWith("/replica");
                assertThat(s.executeUpdate("INSERT INTO acr_t (id) VALUES (2)")).as("a write between reads")
                        .isEqualTo(1);
                try (PreparedStatement ps = c.prepareStatement("SELECT " + WHERE + " FROM acr_t WHERE id = ?")) {
                    ps.setInt(1, 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getBoolean(2)).as("a prepared SELECT on a replica").isTrue();
                    }
                }
                c.setAutoCommit(false);
                assertThat(where(cluster, s, "SELECT " + WHERE)).as("a read-write transaction").isEqualTo(leader);
                c.commit();
            }
        }
    }

    @Test
    @Order(2)
    void autoCommitSelectsKeepFlowingFromReplicasThroughAKillOfThePrimary(PatroniCluster cluster) throws Exception {
        Tables.recreate(cluster, "acr_kill");
        String oldLeader = cluster.leader().name();
        AtomicLong newLeaderSeen = new AtomicLong();
        AtomicLong slowestReadNanos = new AtomicLong();
        try (PgClusterDataSource ds = dataSource(cluster)) {
            RoutingIT.awaitReplicasCurrent(Sources.ETCD, cluster, ds);
            ds.addTopologyListener((previous, current) -> {
                if (current.leader() != null && !current.leader().name().equals(oldLeader)) {
                    newLeaderSeen.compareAndSet(0, System.nanoTime());
                }
            });
            Connection kept = ds.getConnection(); // as an outer pool keeps it, across the kill
            PreparedStatement keptRead = kept.prepareStatement("SELECT " + WHERE + ", count(*) FROM acr_kill "
                    + "WHERE id > ?");
            try (Workload w = new Workload(5)) {
                w.reader("fresh", seq -> timed(slowestReadNanos, () -> {
                    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                        return where(cluster, s, "SELECT " + WHERE);
                    }
                }));
                w.reader("kept", seq -> timed(slowestReadNanos, () -> {
                    keptRead.setLong(1, seq);
                    try (ResultSet rs = keptRead.executeQuery()) {
                        return where(cluster, rs);
                    }
                }));
                Thread.sleep(1000);
                long killedAt = System.nanoTime();
                long readsBefore = w.reads();
                PatroniNode killed = cluster.killPrimary();
                PatroniNode newLeader = cluster.awaitLeaderOtherThan(killed.name(), Duration.ofSeconds(60));
                Awaits.until(Duration.ofSeconds(30), "pgcluster sees the new leader", () -> newLeaderSeen.get() != 0);
                long readsUntilNewLeader = w.reads() - readsBefore;
                Thread.sleep(1000);
                w.close();
                long seen = newLeaderSeen.get();
                log.info("kill -9 of {}: new leader {} seen {} ms after the kill; {} reads meanwhile, slowest read "
                        + "{} ms; {}", killed.name(), newLeader.name(), (seen - killedAt) / 1_000_000L,
                        readsUntilNewLeader, slowestReadNanos.get() / 1_000_000L, w.summary());
                assertThat(w.failures()).as("no read failed").isEmpty();
                assertThat(w.placed("read", killed.name() + "/primary")).as("no read on the primary").isZero();
                assertThat(readsUntilNewLeader).as("reads went on while there was no leader").isPositive();
                assertThat(slowestReadNanos.get()).as("no read waited for the new leader (seen after %s ms)",
                        (seen - killedAt) / 1_000_000L).isLessThan(Math.min(seen - killedAt,
                        Duration.ofSeconds(5).toNanos()));
            } finally {
                kept.close();
            }
        }
    }

    @FunctionalInterface
    private interface Read {
        String run() throws Exception;
    }

    private static String timed(AtomicLong slowest, Read read) throws Exception {
        long start = System.nanoTime();
        String where = read.run();
        slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
        return where;
    }
}
