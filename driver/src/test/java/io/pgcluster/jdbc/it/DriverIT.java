package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgcluster.jdbc.PgClusterDriver;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The jdbc:pgcluster: URL through DriverManager, HikariCP's jdbcUrl and Flyway, against the real cluster. */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class DriverIT {
    private static final Logger log = LoggerFactory.getLogger(DriverIT.class);

    @AfterEach
    void closeShared() {
        PgClusterDriver.closeAll();
    }

    /**
     * Connections through DriverManager with {@link #url}: writes on the leader, read-only ones on a replica, all from
     * one cluster shared by the URL (ZooKeeperIT, ConsulIT).
     */
    static void oneSharedClusterRoutesEveryConnection(Sources source, PatroniCluster cluster, String urlStart)
            throws Exception {
        String url = url(source, cluster);
        assertThat(url).startsWith(urlStart);
        String leader = cluster.leader().name();
        for (int i = 0; i < 3; i++) {
            try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
                assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
            }
            try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
                c.setReadOnly(true);
                assertThat(Sources.where(cluster, c)).endsWith("/replica");
            }
        }
        assertThat(PgClusterDriver.closeAll()).as("one shared cluster for all those connections").isEqualTo(1);
    }

    static String url(Sources source, PatroniCluster c) {
        String params = "?pollInterval=200ms&suspectTimeout=2s&failoverTimeout=40s&connectionTimeout=2s";
        switch (source) {
            case ETCD:
                return "jdbc:pgcluster:etcd://" + c.etcdClientEndpoint().replace("http://", "") + "/" + c.database()
                        + params + "&scope=" + c.scope() + "&namespace=" + c.namespace();
            case ZOOKEEPER:
                return "jdbc:pgcluster:zookeeper://" + c.zooKeeperClientAddress() + "/" + c.database() + params
                        + "&scope=" + c.scope() + "&namespace=" + c.namespace();
            case CONSUL: // a plain agent: with ACLs or TLS, Sources.config carries the token and CA
                return "jdbc:pgcluster:consul://" + c.consulClientAddress() + "/" + c.database() + params
                        + "&scope=" + c.scope() + "&namespace=" + c.namespace();
            case PATRONI:
                return "jdbc:pgcluster:patroni://" + c.nodes().stream().map(n -> n.host() + ":" + n.restPort())
                        .collect(Collectors.joining(",")) + "/" + c.database() + params;
            case HOSTS:
                return "jdbc:pgcluster:hosts://" + c.nodes().stream().map(n -> n.host() + ":" + n.connectPort())
                        .collect(Collectors.joining(",")) + "/" + c.database() + params;
            default:
                return "jdbc:pgcluster:endpoints://127.0.0.1:" + c.haProxy().writePort() + "/" + c.database() + params
                        + "&read=127.0.0.1:" + c.haProxy().readPort();
        }
    }

    /**
     * A wrong password is the server's answer, not a failover: the caller hears 28P01 from the member that refused,
     * before {@code failoverTimeout} (60 s here) and although Patroni republishes the topology meanwhile. Before, the
     * borrow started over at every topology change and ended as "no leader" after the whole failoverTimeout.
     */
    @Test
    void aWrongPasswordIsReportedAtOnceWithTheServersSqlState(PatroniCluster cluster) {
        String url = url(Sources.ETCD, cluster).replace("failoverTimeout=40s", "failoverTimeout=60s");
        for (boolean readOnly : new boolean[] {false, true}) {
            SQLException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> org.junit.jupiter.api.Assertions.assertThrows(SQLException.class, () -> {
                        try (Connection c = DriverManager.getConnection(url, cluster.user(), "not-the-password")) {
                            c.setReadOnly(readOnly);
                            c.createStatement().execute("SELECT 1");
                        }
                    }));
            assertThat(e.getSQLState()).as("read-only %s: %s", readOnly, e).isEqualTo("28P01");
            assertThat(e.getMessage()).contains("refused the connection").contains("password authentication failed")
                    .doesNotContain("not-the-password");
        }
    }

    @Test
    void driverManagerRoutesAndFollowsASwitchover(PatroniCluster cluster) throws Exception {
        String url = url(Sources.ETCD, cluster);
        String leader = cluster.leader().name();
        try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
            assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
        }
        try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
            c.setReadOnly(true);
            assertThat(Sources.where(cluster, c)).endsWith("/replica");
        }

        try (Workload w = new Workload(10)) {
            w.writer("driver-manager", seq -> {
                try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
                    return Sources.where(cluster, c);
                }
            });
            w.reader("driver-manager", seq -> {
                try (Connection c = DriverManager.getConnection(url, cluster.user(), cluster.password())) {
                    c.setReadOnly(true);
                    return Sources.where(cluster, c);
                }
            });
            Thread.sleep(500);
            PatroniNode newLeader = cluster.switchover();
            Awaits.until(Duration.ofSeconds(30), "DriverManager connections on " + newLeader.name(),
                    () -> w.placed("write", newLeader.name() + "/primary") >= 10);
            w.close();
            log.info("DriverManager through a switchover: {}", w.summary());
            assertThat(w.failures("read")).as("%s", w.failures()).isZero();
            assertThat(w.placements().keySet()).noneMatch(k -> k.startsWith("write@") && k.endsWith("/replica"));
        }
        assertThat(PgClusterDriver.closeAll()).as("one shared cluster for all those connections").isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = Sources.class, mode = EnumSource.Mode.MATCH_NONE, names = Sources.ON_ETCD)
    void hikariCpJdbcUrlRoutesPerTransaction(Sources source, PatroniCluster cluster) throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url(source, cluster));
        hc.setUsername(cluster.user());
        hc.setPassword(cluster.password());
        hc.setMaximumPoolSize(4);
        hc.setPoolName("outer-" + source);
        String leader = cluster.leader().name();
        Set<String> replicas = cluster.replicas().stream().map(n -> n.name() + "/replica").collect(Collectors.toSet());
        try (HikariDataSource outer = new HikariDataSource(hc)) {
            for (int i = 0; i < 6; i++) {
                try (Connection c = outer.getConnection()) {
                    c.setReadOnly(true);
                    c.setAutoCommit(false);
                    assertThat(replicas).contains(Sources.where(cluster, c));
                    c.commit();
                }
                try (Connection c = outer.getConnection()) {
                    c.setAutoCommit(false);
                    assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
                    c.commit();
                }
            }
        }
    }

    /**
     * Flyway chooses its database plugin by URL prefix, so it is given the data source the driver shares for the URL
     * (PgClusterDriver.dataSource) rather than the URL itself; the migration runs on the leader.
     */
    @Test
    void flywayMigratesThroughTheUrlOnTheLeader(PatroniCluster cluster) throws SQLException {
        String url = url(Sources.ETCD, cluster);
        Properties info = new Properties();
        info.setProperty("user", cluster.user());
        info.setProperty("password", cluster.password());
        Flyway flyway = Flyway.configure()
                .dataSource(PgClusterDriver.dataSource(url, info))
                .locations("classpath:db/it-migration")
                .schemas("flyway_it")
                .cleanDisabled(false)
                .load();
        flyway.clean();
        MigrateResult result = flyway.migrate();
        assertThat(result.success).isTrue();
        assertThat(result.migrationsExecuted).isEqualTo(2);

        try (Connection c = PgClusterDriver.dataSource(url, info).getConnection()) {
            assertThat(Sources.where(cluster, c)).isEqualTo(cluster.leader().name() + "/primary");
            try (var s = c.createStatement();
                    var rs = s.executeQuery("SELECT count(*) FROM flyway_it.it_migration_item")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
        }
    }
}
