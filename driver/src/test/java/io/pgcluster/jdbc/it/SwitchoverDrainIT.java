package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.micrometer.PgClusterMeterBinder;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Planned switchovers under plain-JDBC load (no retry anywhere: read-write transactions of several statements and
 * auto-commit inserts): with the drain (the default) none fails, every committed row is there and no write runs on
 * a replica; without it the same load fails in the same kind of switchover, so the drain is what makes the
 * difference. The zookeeper source runs the same through {@link ZooKeeperIT}.
 */
@PatroniClusterTest
class SwitchoverDrainIT {
    private static final Logger log = LoggerFactory.getLogger(SwitchoverDrainIT.class);

    @BeforeEach
    void healthy(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void withTheDrainPlainJdbcWritesSurviveRepeatedSwitchovers(PatroniCluster cluster) throws Exception {
        drainedSwitchoversFailNoWrite(Sources.ETCD, cluster, 3);
    }

    /** The body, for any source that delivers Patroni's failover key in time (ZooKeeperIT, ConsulIT). */
    static void drainedSwitchoversFailNoWrite(Sources source, PatroniCluster cluster, int count) throws Exception {
        Result r = switchovers(source, cluster, "10s", count);
        assertThat(r.failures).as("failed operations").isEmpty();
        assertThat(r.held).as("writes held by the drain").isPositive();
    }

    @Test
    void withoutTheDrainTheSameLoadFails(PatroniCluster cluster) throws Exception {
        Result r = switchovers(Sources.ETCD, cluster, "0s", 3);
        assertThat(r.failures).as("failed writes without the drain: the drain is what prevents them").isNotEmpty();
        assertThat(r.held).isZero();
    }

    /** What a run of {@link #switchovers} saw: failures by "kind:SQLState" and writes the drain held. */
    record Result(Map<String, Long> failures, double held) {
    }

    /**
     * Runs plain-JDBC writers through {@code count} planned switchovers with {@code switchoverDrain=drain}; asserts
     * what holds with or without the drain (no write on a replica, every acknowledged row stored, writes reach the
     * new leader) and returns the rest for the caller to judge.
     */
    static Result switchovers(Sources source, PatroniCluster cluster, String drain, int count) throws Exception {
        String table = "drain_" + source.name().toLowerCase() + "_" + drain.replaceAll("\\W", "");
        Tables.recreate(cluster, table);
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Map<String, Long> failures;
        double held;
        try (PgClusterDataSource ds = new PgClusterDataSource(source.config(cluster)
                .set("switchoverDrain", drain).build());
                Workload w = new Workload(2)) {
            new PgClusterMeterBinder(ds).bindTo(registry);
            for (int i = 0; i < 4; i++) {
                // a read-write transaction of several statements, as JPA or a hand-written DAO does it
                w.writer("tx" + i, seq -> {
                    try (Connection c = ds.getConnection()) {
                        c.setAutoCommit(false);
                        insert(c, table, seq, cluster);
                        try (PreparedStatement ps = c.prepareStatement(
                                "UPDATE " + table + " SET payload = payload || '+' WHERE id = ?")) {
                            ps.setLong(1, seq);
                            ps.executeUpdate();
                        }
                        String where = Sources.where(cluster, c);
                        c.commit();
                        acknowledged.add(seq);
                        return where;
                    }
                });
            }
            for (int i = 0; i < 2; i++) {
                w.writer("autocommit" + i, seq -> {
                    try (Connection c = ds.getConnection()) {
                        String where = insert(c, table, seq, cluster);
                        acknowledged.add(seq);
                        return where;
                    }
                });
            }
            w.reader("read-only", seq -> {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    return Sources.where(cluster, c);
                }
            });
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    cluster.restoreHealthy(Duration.ofMinutes(2));
                }
                Thread.sleep(1000);
                String oldLeader = cluster.leader().name();
                PatroniNode newLeader = cluster.switchover();
                long placed = w.placed("write", newLeader.name() + "/primary");
                Awaits.until(Duration.ofSeconds(40), "writes on the new leader " + newLeader.name(),
                        () -> w.placed("write", newLeader.name() + "/primary") >= placed + 20);
                log.info("{} switchoverDrain={}: switchover {} -> {}: {}", source, drain, oldLeader, newLeader.name(),
                        w.summary());
            }
            Thread.sleep(500);
            w.close();
            failures = w.failures();
            held = registry.get("pgcluster.switchover.drain.held").functionCounter().count();
            log.info("{} switchoverDrain={}: {} switchovers: {}; writes held by the drain: {}", source, drain, count,
                    w.summary(), held);
            assertThat(w.placements().keySet()).as("no write ran on a replica")
                    .noneMatch(k -> k.startsWith("write@") && k.endsWith("/replica"));
        }
        Set<Long> stored = Tables.ids(cluster, "SELECT id FROM " + table + " WHERE payload IS NOT NULL");
        assertThat(acknowledged).isNotEmpty();
        assertThat(stored).as("every committed row is there").containsAll(acknowledged);
        return new Result(failures, held);
    }

    /** Inserts row {@code seq} and says where the statement ran (a replica would refuse it with 25006). */
    private static String insert(Connection c, String table, long seq, PatroniCluster cluster) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + "(id, port, payload) VALUES (?, "
                + "inet_server_port(), 'w') RETURNING inet_server_port(), pg_is_in_recovery()")) {
            ps.setLong(1, seq);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Sources.nodeName(cluster, rs.getInt(1)) + (rs.getBoolean(2) ? "/replica" : "/primary");
            }
        }
    }
}
