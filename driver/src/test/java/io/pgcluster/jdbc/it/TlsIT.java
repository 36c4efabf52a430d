package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TLS to PostgreSQL against the rig's servers with certificates from a generated CA: pgjdbc's
 * {@code sslmode=verify-full} and {@code channelBinding=require} reach every member the etcd source finds, and a
 * member whose certificate does not name the address Patroni publishes fails the borrower at once and loudly.
 */
@PatroniClusterTest
// loop_wait 10 s: Patroni rewrites member keys less often. Each topology change makes the router give up the
// borrow it is in and start over (Router.tryBorrow), so with changes every 2 s a refusal would surface only when
// 2 quiet seconds (connectionTimeout) happen to pass.
@ClusterConfig(nodes = 2, postgresTls = true, ttl = 30, loopWait = 10, retryTimeout = 10)
class TlsIT {

    private static PgClusterConfig.Builder verifyFull(PatroniCluster cluster) {
        return Sources.ETCD.config(cluster).set("sslmode", "verify-full")
                .set("sslrootcert", cluster.postgresCaFile().toString()).set("channelBinding", "require");
    }

    @Test
    void verifyFullAndChannelBindingReachEveryMember(PatroniCluster cluster) throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(verifyFull(cluster).build())) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS tls_it (id int PRIMARY KEY, v text)");
                s.execute("INSERT INTO tls_it VALUES (1, 'over TLS') ON CONFLICT (id) DO UPDATE SET v = 'over TLS'");
                assertThat(Sources.where(cluster, c)).endsWith("/primary");
                assertThat(ownSessionUsesSsl(c)).as("the write connection's backend in pg_stat_ssl").isTrue();
            }
            Awaits.until(Duration.ofSeconds(20), "the replica has the row", () -> {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    try (Statement s = c.createStatement();
                            ResultSet rs = s.executeQuery("SELECT v FROM tls_it WHERE id = 1")) {
                        return Sources.where(cluster, c).endsWith("/replica") && rs.next()
                                && "over TLS".equals(rs.getString(1)) && ownSessionUsesSsl(c);
                    }
                } catch (SQLException e) {
                    return false;
                }
            });

            List<String> servedBy = new ArrayList<>();
            for (PatroniNode n : cluster.nodes()) {
                try (Connection su = cluster.connectSuperuser(n); Statement s = su.createStatement();
                        ResultSet rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE NOT ssl.ssl) "
                                + "FROM pg_stat_activity a JOIN pg_stat_ssl ssl USING (pid) "
                                + "WHERE a.application_name = 'pgcluster' AND a.usename = '" + cluster.user() + "'")) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        servedBy.add(n.name());
                    }
                    assertThat(rs.getLong(2)).as("sessions of the app user on %s without TLS", n.name()).isZero();
                }
            }
            assertThat(servedBy).as("members with sessions of the app user").hasSize(cluster.nodes().size());
        }
    }

    @Test
    void aCertificateThatDoesNotNameTheMembersAddressFailsAtOnce(PatroniCluster cluster) throws Exception {
        // Patroni publishes 127.0.0.1; the servers now present certificates for localhost only
        cluster.reissuePostgresCertificates(List.of("localhost"), List.of());
        try (PgClusterDataSource ds = new PgClusterDataSource(verifyFull(cluster)
                .set("failoverTimeout", "60s").set("connectionTimeout", "2s").build())) {
            long start = System.nanoTime();
            SQLException e = catchThrowableOfType(SQLException.class, () -> {
                try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                }
            });
            long millis = (System.nanoTime() - start) / 1_000_000L;

            assertThat((Object) e).as("the write fails").isNotNull();
            assertThat(e.getSQLState()).isEqualTo(SqlStates.SERVER_NOT_TRUSTED);
            assertThat(chain(e)).contains("failed TLS verification").contains("127.0.0.1")
                    .contains("could not be verified");
            assertThat(millis).as("long before failoverTimeout (60 s): no waiting for another leader")
                    .isLessThan(30_000);
        } finally {
            cluster.reissuePostgresCertificates(List.of("localhost"), List.of("127.0.0.1"));
        }
    }

    private static boolean ownSessionUsesSsl(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static String chain(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append(" | ");
        }
        return b.toString();
    }
}
