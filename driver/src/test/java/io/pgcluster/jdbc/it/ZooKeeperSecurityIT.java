package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.testkit.Certificates;
import io.pgcluster.testkit.Dcs;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zookeeper source against a ZooKeeper 3.8 that speaks TLS only and whose znodes Patroni closes with ACLs (one
 * rig: 2 nodes, {@code zooKeeperTls(true)}, {@code zooKeeperAuth(user, password)}; the driver reaches ZooKeeper
 * through a fault proxy): the source follows the cluster with digest auth over TLS (routing and a switchover, and
 * again after its session expired), or with a client certificate the ACLs name; missing or wrong
 * credentials and an untrusted server certificate end in a clear error that names the setting, never in an empty
 * topology or a hang.
 */
class ZooKeeperSecurityIT {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperSecurityIT.class);
    private static final String USER = "pgcluster";
    private static final String PASSWORD = "zk-digest-" + Long.toHexString(System.nanoTime());
    private static PatroniCluster cluster;
    private static Path otherCaDir;

    @BeforeAll
    static void start() throws Exception {
        cluster = PatroniCluster.builder().nodes(2).dcs(Dcs.ZOOKEEPER).zooKeeperTls(true)
                .zooKeeperAuth(USER, PASSWORD).withFaultProxies(true).start();
        otherCaDir = Files.createTempDirectory("pgcluster-zk-other-ca-");
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (otherCaDir != null) {
            try (var files = Files.walk(otherCaDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** TLS with the cluster's CA, and failoverTimeout short enough that a missing topology fails fast. */
    private static PgClusterConfig.Builder tls(String name) {
        return PgClusterConfig.builder().zookeeper(cluster.zooKeeperClientAddress()).scope(cluster.scope())
                .namespace(cluster.namespace()).name(name).database(cluster.database()).user(cluster.user())
                .password(cluster.password()).set("pollInterval", "200ms").set("dcsTimeout", "2s")
                .set("connectionTimeout", "2s").set("failoverTimeout", "20s").set("minIdle", "0")
                .set("dcsTls", "true").set("dcsCaFile", cluster.zooKeeperCaFile().toString());
    }

    @Test
    void digestAuthOverTlsFollowsTheClusterThroughASwitchover() throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(tls("zk-digest").set("dcsUser", USER)
                .set("dcsPassword", PASSWORD).build())) {
            String leader = cluster.leader().name();
            Awaits.until(Duration.ofSeconds(15), "the topology with leader " + leader + " and every member",
                    () -> leaderIs(ds.topology(), leader) && ds.topology().members().size() == 2);
            String write = ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
            assertThat(write).isEqualTo(leader + "/primary");
            Awaits.until(Duration.ofSeconds(20), "a read on the replica", () -> {
                try {
                    String read = ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c));
                    return read.endsWith("/replica");
                } catch (SQLException e) {
                    return false;
                }
            });

            PatroniNode next = cluster.switchover();
            long t0 = System.nanoTime();
            Awaits.until(Duration.ofSeconds(20), "the new leader " + next.name() + " in the topology",
                    () -> leaderIs(ds.topology(), next.name()));
            log.info("switchover to {} seen by the zookeeper source (digest over TLS) after {} ms", next.name(),
                    (System.nanoTime() - t0) / 1_000_000L);
            Awaits.until(Duration.ofSeconds(30), "a write on " + next.name(), () -> {
                try {
                    String w = ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
                    return (next.name() + "/primary").equals(w);
                } catch (SQLException e) {
                    return false;
                }
            });
            assertThat(ds.topology().sourceReachable()).isTrue();
        }
    }

    /**
     * The driver loses ZooKeeper for longer than its session timeout (3 x dcsTimeout = 6 s): the session expires,
     * and the new client must log in again, or every read would end in NoAuth.
     */
    @Test
    void aNewSessionAfterExpiryLogsInAgain() throws Exception {
        List<String> problems = new CopyOnWriteArrayList<>();
        try (PgClusterDataSource ds = new PgClusterDataSource(tls("zk-expiry").set("dcsUser", USER)
                .set("dcsPassword", PASSWORD).build())) {
            ds.addTopologyListener((previous, current) -> {
                if (current.sourceProblem() != null) {
                    problems.add(current.sourceProblem());
                }
            });
            String leader = cluster.leader().name();
            Awaits.until(Duration.ofSeconds(15), "the first topology", () -> leaderIs(ds.topology(), leader));
            cluster.zooKeeperFaultProxy().blackhole();
            try {
                Awaits.until(Duration.ofSeconds(20), "the source flagged unreachable",
                        () -> !ds.topology().sourceReachable());
                Thread.sleep(8000); // past the 6 s session timeout: the server expires the session
            } finally {
                cluster.zooKeeperFaultProxy().pass();
            }
            Awaits.until(Duration.ofSeconds(30), "the topology confirmed again after the expiry",
                    () -> ds.topology().sourceReachable() && leaderIs(ds.topology(), cluster.leader().name()));
            assertThat(problems).as("problems reported").anyMatch(p -> p.contains("session expired"))
                    .noneMatch(p -> p.contains("NoAuth"));
            String write = ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
            assertThat(write).isEqualTo(cluster.leader().name() + "/primary");
        }
    }

    /** The other way in that Patroni's x509 ACLs offer: a client certificate they name, no password. */
    @Test
    void aClientCertificateTheAclsNameReadsWithoutAPassword() throws Exception {
        Certificates.Issued reader = cluster.zooKeeperReaderCertificate();
        try (PgClusterDataSource ds = new PgClusterDataSource(tls("zk-x509")
                .set("dcsCertFile", reader.cert().toString()).set("dcsKeyFile", reader.key().toString()).build())) {
            String leader = cluster.leader().name();
            Awaits.until(Duration.ofSeconds(15), "the topology with leader " + leader,
                    () -> leaderIs(ds.topology(), leader));
            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
            }
        }
    }

    /** ZooKeeper answers NoAuth: the error names dcsUser/dcsPassword; the topology stays unknown, not empty. */
    @Test
    void withoutCredentialsTheErrorNamesThemInsteadOfAnEmptyTopology() throws Exception {
        assertRefused(tls("zk-anonymous").set("failoverTimeout", "3s").build(), "set dcsUser and dcsPassword", null);
    }

    @Test
    void aWrongPasswordIsNamedWithoutShowingItAndDoesNotHang() throws Exception {
        String wrong = "not-" + PASSWORD;
        assertRefused(tls("zk-wrong-password").set("failoverTimeout", "3s").set("dcsUser", USER)
                .set("dcsPassword", wrong).build(), "digest user '" + USER + "' (dcsUser) may not read", wrong);
    }

    @Test
    void aServerCertificateFromAnotherCaIsNamedAsATlsFailure() throws Exception {
        Certificates other = Certificates.create(otherCaDir.resolve("ca"));
        assertRefused(tls("zk-wrong-ca").set("failoverTimeout", "3s").set("dcsCaFile", other.caFile().toString())
                .set("dcsUser", USER).set("dcsPassword", PASSWORD).build(), "TLS handshake with "
                + cluster.zooKeeperClientAddress() + " failed", PASSWORD);
    }

    /**
     * The source reports {@code expected} within a few seconds, the topology stays unknown (no members, no
     * leader), and a write fails after failoverTimeout (3 s) with the same words.
     */
    private static void assertRefused(PgClusterConfig config, String expected, String secret) throws Exception {
        long t0 = System.nanoTime();
        try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
            Awaits.until(Duration.ofSeconds(15), "a source problem saying '" + expected + "'",
                    () -> ds.topology().sourceProblem() != null && ds.topology().sourceProblem().contains(expected));
            log.info("{}: reported after {} ms: {}", config.name(), (System.nanoTime() - t0) / 1_000_000L,
                    ds.topology().sourceProblem());
            assertThat(ds.topology().isKnown()).as("topology known").isFalse();
            assertThat(ds.topology().members()).isEmpty();
            long t1 = System.nanoTime();
            assertThatThrownBy(() -> ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c)))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining(expected)
                    .satisfies(e -> {
                        if (secret != null) {
                            assertThat(e.getMessage()).doesNotContain(secret);
                        }
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - t1)).as("no hang: failoverTimeout is 3 s")
                    .isLessThan(Duration.ofSeconds(10));
            if (secret != null) {
                assertThat(ds.topology().sourceProblem()).doesNotContain(secret);
            }
        }
    }

    private static boolean leaderIs(Topology t, String name) {
        return t.isKnown() && t.leader() != null && t.leader().name().equals(name);
    }
}
