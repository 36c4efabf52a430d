package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Client;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import io.pgcluster.jdbc.config.PgClusterProperty;
import io.pgcluster.testkit.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd source's construction and its messages, without a server (the live behaviour is proven by
 * EtcdLeaseExpiryIT, EtcdSecurityIT and EtcdOutageIT).
 */
class EtcdSourceTest {
    private static final String PASSWORD = "Pw4etcdSourceTest";

    private static PgClusterConfig.Builder etcd(String servers) {
        return PgClusterConfig.builder().etcd(servers).scope("demo").database("app");
    }

    @Test
    void serverNamesTheEtcdClientRefusesFailAtBuildNamingServers() {
        for (String bad : List.of("a_b:2379", "h%1:2379", "10.0.0.1:2379,etcd_2:2379")) {
            assertThatThrownBy(() -> etcd(bad).build()).as(bad).isInstanceOf(PgClusterConfigException.class)
                    .hasMessageContaining("'servers'").hasMessageContaining("the etcd client")
                    .satisfies(e -> assertThat(((PgClusterConfigException) e).property())
                            .isEqualTo(PgClusterProperty.SERVERS));
        }
        // why: jetcd throws IllegalArgumentException naming no setting when the client is built
        assertThatThrownBy(() -> Client.builder().endpoints("http://h%1:2379").build())
                .isInstanceOf(IllegalArgumentException.class);
        // the other sources keep accepting '_' (PostgreSQL and HTTP clients resolve such names)
        assertThat(PgClusterConfig.builder().hosts("pg_1:5432").database("app").build().servers())
                .containsExactly(new HostAndPort("pg_1", 5432));
    }

    @Test
    void serverNamesThatPassBuildAreAcceptedByTheEtcdClient() {
        PgClusterConfig config = etcd("etcd-1.example.com:2379,10.0.0.5,[::1]:23790,localhost:2379").build();
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            EtcdSource s = new EtcdSource("unit", config.servers(), "/service", "demo", EtcdSource.Security.NONE, AllowedHosts.ANY,
                    Duration.ofSeconds(1), Duration.ofSeconds(1), executor);
            s.close();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void theWatchRequiresALeader() {
        assertThat(EtcdSource.watchOption(42).withRequireLeader()).isTrue();
        assertThat(EtcdSource.watchOption(42).getRevision()).isEqualTo(42);
        assertThat(EtcdSource.watchOption(42).isPrefix()).isTrue();
    }

    @Test
    void tlsFilesThatCannotBeUsedNameTheirSetting(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.pem");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        Certificates ca = Certificates.create(dir.resolve("ca"));
        Certificates.Issued client = ca.client("pgcluster");

        assertThatThrownBy(() -> EtcdSource.sslContext(tls(missing, null, null)))
                .hasMessageContaining("'dcsCaFile'").hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> EtcdSource.sslContext(tls(garbage, null, null)))
                .hasMessageContaining("'dcsCaFile'").hasMessageContaining("PEM CA certificates");
        assertThatThrownBy(() -> EtcdSource.sslContext(tls(ca.caFile(), client.cert(), missing)))
                .hasMessageContaining("'dcsKeyFile'");
        assertThatThrownBy(() -> EtcdSource.sslContext(tls(ca.caFile(), client.cert(), garbage)))
                .hasMessageContaining("'dcsCertFile'").hasMessageContaining("dcsKeyFile");

        assertThat(EtcdSource.sslContext(tls(ca.caFile(), client.cert(), client.key())).isClient()).isTrue();
        assertThat(EtcdSource.sslContext(tls(ca.caFile(), null, null)).isClient()).isTrue();
    }

    private static EtcdSource.Security tls(Path ca, Path cert, Path key) {
        return new EtcdSource.Security(true, ca.toString(), cert == null ? null : cert.toString(),
                key == null ? null : key.toString(), null, null);
    }

    @Test
    void refusedLoginsNameTheSettingsAndNeverThePassword() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        EtcdSource s = new EtcdSource("unit", List.of(new HostAndPort("127.0.0.1", 2379)), "/service", "demo",
                new EtcdSource.Security(false, null, null, null, "reader", PASSWORD), AllowedHosts.ANY, Duration.ofSeconds(1),
                Duration.ofSeconds(1), executor);
        try {
            String auth = s.explain(new RuntimeException("io.grpc.StatusRuntimeException: INVALID_ARGUMENT: "
                    + "etcdserver: authentication failed, invalid user ID or password"));
            assertThat(auth).contains("'reader'", "dcsUser", "dcsPassword").doesNotContain(PASSWORD);
            assertThat(s.explain(new RuntimeException("etcdserver: permission denied")))
                    .contains("'reader'", "/service/demo/", "grant-permission");
            assertThat(s.explain(new RuntimeException("UNAVAILABLE: Network closed for unknown reason")))
                    .contains("dcsTls=true");
            assertThat(s.describe()).contains("user reader").doesNotContain(PASSWORD);
            assertThat(new EtcdSource.Security(true, "ca", null, null, "reader", PASSWORD).toString())
                    .doesNotContain(PASSWORD);
        } finally {
            s.close();
            executor.shutdownNow();
        }
    }
}
