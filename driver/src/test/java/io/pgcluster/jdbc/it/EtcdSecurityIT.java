package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.EtcdServer;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd source against a real etcd 3.4 that serves TLS only, requires client certificates and has its
 * authentication enabled (Patroni talks to it over TLS with its own user): the driver follows the cluster with a
 * client certificate alone (etcd takes its CN as the user) and with user and password; a wrong password, and
 * plaintext to the TLS port, fail at once with an error that says which setting to fix and never shows the password.
 */
@PatroniClusterTest
@ClusterConfig(nodes = 2, etcdTls = true, etcdAuth = true)
class EtcdSecurityIT {
    private static final Logger log = LoggerFactory.getLogger(EtcdSecurityIT.class);

    /** Like {@link Sources#config}, with etcd's https endpoint as HOST:PORT and no TLS settings yet. */
    private static PgClusterConfig.Builder plain(PatroniCluster cluster) {
        return PgClusterConfig.builder().etcd(cluster.etcdClientEndpoint().replace("https://", ""))
                .scope(cluster.scope()).namespace(cluster.namespace()).name("it-etcd-security")
                .database(cluster.database()).user(cluster.user()).password(cluster.password())
                .set("pollInterval", "200ms").set("connectionTimeout", "2s").set("failoverTimeout", "40s")
                .set("minIdle", "0");
    }

    private static PgClusterConfig.Builder config(PatroniCluster cluster) {
        EtcdServer etcd = cluster.etcd();
        return plain(cluster)
                .set("dcsTls", "true")
                .set("dcsCaFile", etcd.caFile().toString())
                .set("dcsCertFile", etcd.clientCertificate().cert().toString())
                .set("dcsKeyFile", etcd.clientCertificate().key().toString());
    }

    @Test
    void followsTheClusterOverTlsWithAClientCertificateAlone(PatroniCluster cluster) throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(config(cluster).build())) {
            awaitLeader(ds, cluster.leader().name());
            assertThat(ds.topology().members()).hasSize(cluster.nodes().size());
            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).endsWith("/primary");
            }
        }
    }

    @Test
    void followsTheClusterWithUserAndPasswordThroughASwitchover(PatroniCluster cluster) throws Exception {
        EtcdServer etcd = cluster.etcd();
        try (PgClusterDataSource ds = new PgClusterDataSource(config(cluster).set("dcsUser", etcd.clientUser())
                .set("dcsPassword", etcd.clientPassword()).build())) {
            awaitLeader(ds, cluster.leader().name());
            PatroniNode next = cluster.switchover();
            awaitLeader(ds, next.name()); // the watch, authenticated with the user's token, sees the change
            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).isEqualTo(next.name() + "/primary");
            }
        }
    }

    @Test
    void aWrongPasswordFailsAtOnceNamingTheSettingsWithoutShowingThePassword(PatroniCluster cluster)
            throws Exception {
        String wrong = "Wr0ng" + Long.toHexString(System.nanoTime());
        long t0 = System.nanoTime();
        // a certificate that names no user, so that only the (wrong) password could give the client an identity
        EtcdServer etcd = cluster.etcd();
        try (PgClusterDataSource ds = new PgClusterDataSource(config(cluster)
                .set("dcsCertFile", etcd.clientCertificateWithoutUser().cert().toString())
                .set("dcsKeyFile", etcd.clientCertificateWithoutUser().key().toString())
                .set("dcsUser", etcd.clientUser()).set("dcsPassword", wrong).set("failoverTimeout", "3s").build())) {
            Awaits.until(Duration.ofSeconds(5), "the source to report the refused login",
                    () -> ds.topology().sourceProblem().startsWith("etcd "));
            long reportedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String problem = ds.topology().sourceProblem();
            log.info("wrong password reported after {} ms: {}", reportedMillis, problem);
            assertThat(problem).contains("dcsUser").contains("dcsPassword").contains("authentication failed")
                    .doesNotContain(wrong);
            assertThat(ds.topology().isKnown()).isFalse();

            long t1 = System.nanoTime();
            assertThatThrownBy(() -> {
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("SELECT 1"); // the connection binds a member at first use
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"))
                    .hasMessageContaining("dcsPassword").hasMessageNotContaining(wrong);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1)).as("bounded by failoverTimeout")
                    .isLessThan(6000);
            assertThat(ds.health().toString()).doesNotContain(wrong);
        }
    }

    @Test
    void plaintextToTheTlsPortFailsClearly(PatroniCluster cluster) throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(plain(cluster).set("failoverTimeout", "2s").build())) {
            Awaits.until(Duration.ofSeconds(5), "the source to report the failure",
                    () -> ds.topology().sourceProblem().startsWith("etcd "));
            String problem = ds.topology().sourceProblem();
            log.info("plaintext to TLS etcd: {}", problem);
            assertThat(problem).contains("dcsTls");
            assertThat(ds.topology().isKnown()).isFalse();
        }
    }

    private static void awaitLeader(PgClusterDataSource ds, String name) throws InterruptedException {
        Awaits.until(Duration.ofSeconds(30), "pgcluster following leader " + name + " (now " + ds.topology() + ")",
                () -> ds.topology().leader() != null && ds.topology().leader().name().equals(name));
    }
}
