package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.Certificates;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patroni source against a REST API secured as an operator would: https with the cluster's CA, client
 * certificates required ({@code verify_client: required}) and basic auth. Reads and writes are routed and a
 * switchover is followed; a wrong CA, a missing client certificate and plain http to https fail clearly, without
 * hanging and without the password in any message. HAProxy's checks run over https too (the rig's health checks).
 */
@PatroniClusterTest
@ClusterConfig(restTls = true, restVerifyClient = true, restAuth = true, haProxy = true)
class PatroniRestSecurityIT {
    private static final String TABLE = "rest_security";
    private static final AtomicLong SEQ = new AtomicLong();

    @AfterEach
    void restore(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    /** The source as an application would configure it; the rig's CA, client certificate and credentials. */
    private static PgClusterConfig.Builder secure(PatroniCluster cluster, String name) {
        return base(cluster, name).set("dcsTls", "true").set("dcsCaFile", cluster.restCaFile().toString())
                .set("dcsCertFile", cluster.restClientCertificate().cert().toString())
                .set("dcsKeyFile", cluster.restClientCertificate().key().toString())
                .set("dcsUser", cluster.restUser()).set("dcsPassword", cluster.restPassword());
    }

    private static PgClusterConfig.Builder base(PatroniCluster cluster, String name) {
        return PgClusterConfig.builder()
                .patroni(cluster.nodes().stream().map(n -> n.host() + ":" + n.restPort())
                        .collect(Collectors.joining(",")))
                .name(name).database(cluster.database()).user(cluster.user()).password(cluster.password())
                .set("pollInterval", "200ms").set("dcsTimeout", "1s").set("suspectTimeout", "2s")
                .set("connectionTimeout", "2s").set("minIdle", "0");
    }

    @Test
    void routesReadsAndWritesOverHttpsAndFollowsASwitchover(PatroniCluster cluster) throws Exception {
        Tables.recreate(cluster, TABLE);
        try (PgClusterDataSource ds = new PgClusterDataSource(secure(cluster, "rest-tls")
                .set("failoverTimeout", "40s").build())) {
            assertThat(ds.config().source().toString().toLowerCase()).isEqualTo("patroni");
            assertThat(ds.toString()).doesNotContain(cluster.restPassword());
            String leader = cluster.leader().name();
            assertThat(write(ds, cluster)).isEqualTo(leader + "/primary");
            awaitReplicaRead(ds, cluster);
            assertThat(ds.topology().sourceReachable()).isTrue();

            PatroniNode next = cluster.switchover();
            Awaits.until(Duration.ofSeconds(30), "the source to name " + next.name() + " leader; now " + ds.topology(),
                    () -> ds.topology().leader() != null && ds.topology().leader().name().equals(next.name()));
            assertThat(write(ds, cluster)).isEqualTo(next.name() + "/primary");
            awaitReplicaRead(ds, cluster);
        }
    }

    @Test
    void aWrongCaFailsNamingDcsCaFile(PatroniCluster cluster, @TempDir Path dir) {
        Certificates other = Certificates.create(dir.resolve("other-ca"));
        PgClusterConfig config = secure(cluster, "rest-wrong-ca").set("dcsCaFile", other.caFile().toString())
                .set("failoverTimeout", "3s").build();
        SQLException e = failedWrite(config);
        assertThat(e.getMessage()).contains("TLS handshake failed").contains("dcsCaFile '" + other.caFile() + "'")
                .contains("https://127.0.0.1:" + cluster.nodes().get(0).restPort());
        assertNoSecret(cluster, e);
    }

    @Test
    void withoutTheClientCertificateTheHandshakeIsRefused(PatroniCluster cluster) {
        PgClusterConfig config = base(cluster, "rest-no-client-cert").set("dcsTls", "true")
                .set("dcsCaFile", cluster.restCaFile().toString()).set("dcsUser", cluster.restUser())
                .set("dcsPassword", cluster.restPassword()).set("failoverTimeout", "3s").build();
        SQLException e = failedWrite(config);
        assertThat(e.getMessage()).contains("topology unknown").containsIgnoringCase("certificate");
        assertNoSecret(cluster, e);
    }

    @Test
    void plainHttpToTheHttpsApiFailsNamingDcsTls(PatroniCluster cluster) {
        PgClusterConfig config = base(cluster, "rest-plain").set("dcsUser", cluster.restUser())
                .set("dcsPassword", cluster.restPassword()).set("dcsPlaintextCredentials", "true")
                .set("failoverTimeout", "3s").build();
        SQLException e = failedWrite(config);
        assertThat(e.getMessage()).contains("topology unknown").contains("http://127.0.0.1:")
                .contains("set dcsTls=true");
        assertNoSecret(cluster, e);
    }

    private static SQLException failedWrite(PgClusterConfig config) {
        long t0 = System.nanoTime();
        try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
            try {
                ds.inTransaction(TransactionMode.READ_WRITE, c -> c.createStatement().execute("SELECT 1"));
            } catch (SQLException e) {
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).as("no hang").isLessThan(30);
                return e;
            }
        }
        throw new AssertionError("a write succeeded without a usable topology source");
    }

    private static void assertNoSecret(PatroniCluster cluster, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(cluster.restPassword())
                    .doesNotContain(cluster.password());
        }
    }

    /**
     * Reads go to a replica again once one has replayed the write just made (read-your-writes sends them to the
     * leader until then: after a switchover the replicas first reconnect to the new leader, which takes seconds).
     */
    private static void awaitReplicaRead(PgClusterDataSource ds, PatroniCluster cluster) throws InterruptedException {
        Awaits.until(Duration.ofSeconds(30), "a read on a replica", () -> {
            try {
                return read(ds, cluster).endsWith("/replica");
            } catch (SQLException e) {
                throw new AssertionError("a read failed", e);
            }
        });
    }

    private static String read(PgClusterDataSource ds, PatroniCluster cluster) throws SQLException {
        return ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c));
    }

    private static String write(PgClusterDataSource ds, PatroniCluster cluster) throws SQLException {
        return ds.inTransaction(TransactionMode.READ_WRITE, c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + TABLE + " (id, port) VALUES (?, "
                    + "inet_server_port())")) {
                s.setLong(1, SEQ.incrementAndGet());
                s.executeUpdate();
            }
            return Sources.where(cluster, c);
        });
    }
}
