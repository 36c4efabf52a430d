package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterProperty;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.Dcs;
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
 * The consul source against an agent that enforces ACLs ({@code default_policy deny}) and serves https only: the
 * rig's read-only client token over TLS follows the cluster; a refused token, a missing one, plain http to the https
 * port and an untrusted CA each fail at once (not after failoverTimeout) with a message naming the setting to fix,
 * and the token never shows.
 */
@PatroniClusterTest
@ClusterConfig(dcs = Dcs.CONSUL, consulAcl = true, consulTls = true, nodes = 2)
class ConsulSecurityIT {
    private static final Logger log = LoggerFactory.getLogger(ConsulSecurityIT.class);

    @Test
    void theClientTokenOverTlsFollowsTheCluster(PatroniCluster cluster) throws Exception {
        cluster.restoreHealthy(Duration.ofMinutes(2));
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.CONSUL.config(cluster).build())) {
            Awaits.until(Duration.ofSeconds(10), "the first topology", () -> ds.topology().leader() != null);
            String leader = cluster.leader().name();
            assertThat(ds.topology().leader().name()).isEqualTo(leader);
            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
            }
            PatroniNode next = cluster.switchover();
            Awaits.until(Duration.ofSeconds(20), "the switchover to " + next.name() + " followed",
                    () -> ds.topology().leader() != null && ds.topology().leader().name().equals(next.name()));
            assertThat(ds.health().toString()).doesNotContain(cluster.consul().clientToken());
        }
    }

    @Test
    void aRefusedTokenFailsAtOnceNamingDcsTokenWithoutShowingIt(PatroniCluster cluster) throws Exception {
        String wrong = "0badc0de-0000-4000-8000-" + String.format("%012x", System.nanoTime() & 0xffffffffffffL);
        String problem = refused(Sources.CONSUL.config(cluster).set("dcsToken", wrong), wrong);
        assertThat(problem).contains("403").contains("dcsToken").contains("ACL not found");
    }

    /** With default deny, Consul answers a request without a token with 404 (keys hidden), not 403. */
    @Test
    void aMissingTokenFailsAtOnceNamingDcsToken(PatroniCluster cluster) throws Exception {
        String problem = refused(Sources.CONSUL.config(cluster).unset(PgClusterProperty.DCS_TOKEN), null);
        assertThat(problem).contains("no keys under").contains("set dcsToken");
    }

    @Test
    void plainHttpToTheHttpsPortFailsAtOnceNamingDcsTls(PatroniCluster cluster) throws Exception {
        String problem = refused(Sources.CONSUL.config(cluster).set("dcsTls", "false")
                .unset(PgClusterProperty.DCS_CA_FILE).set("dcsPlaintextCredentials", "true"), null);
        assertThat(problem).contains("dcsTls=true");
    }

    @Test
    void anUntrustedCertificateFailsAtOnceNamingDcsCaFile(PatroniCluster cluster) throws Exception {
        String problem = refused(Sources.CONSUL.config(cluster).unset(PgClusterProperty.DCS_CA_FILE), null);
        assertThat(problem).contains("TLS handshake failed").contains("JVM's trust store");
    }

    /** The source reports the refusal within seconds, and work fails at once with 08001 and the same reason. */
    private String refused(PgClusterConfig.Builder config, String secret) throws Exception {
        long t0 = System.nanoTime();
        try (PgClusterDataSource ds = new PgClusterDataSource(config.set("failoverTimeout", "30s").build())) {
            Awaits.until(Duration.ofSeconds(10), "the source to report the refusal",
                    () -> ds.topology().sourceRefused());
            String problem = ds.topology().sourceProblem();
            log.info("refusal reported after {} ms: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    problem);
            assertThat(ds.topology().isKnown()).isFalse();
            long t1 = System.nanoTime();
            assertThatThrownBy(() -> {
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    st.execute("SELECT 1");
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"))
                    .satisfies(e -> assertThat(e.getMessage()).contains(problem.substring(0, 20)));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1)).as("at once, not after failoverTimeout")
                    .isLessThan(10_000);
            if (secret != null) {
                assertThat(problem).doesNotContain(secret);
                assertThat(ds.health().toString()).doesNotContain(secret);
            }
            return problem;
        }
    }
}
