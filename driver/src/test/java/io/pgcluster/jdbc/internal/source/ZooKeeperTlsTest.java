package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.testkit.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS settings the zookeeper source gives each client (the handshakes themselves: ZooKeeperSecurityIT). */
class ZooKeeperTlsTest {
    @TempDir
    static Path dir;
    private static Certificates ca;
    private static Certificates.Issued client;

    @BeforeAll
    static void certificates() {
        ca = Certificates.create(dir.resolve("ca"));
        client = ca.client("reader");
    }

    @Test
    void settingsGoIntoTheClientsOwnConfigurationAndNotIntoSystemProperties() throws Exception {
        Map<String, String> before = zookeeperSystemProperties();
        ZKClientConfig config = new ZKClientConfig();
        Path keyStore;
        try (ZooKeeperTls tls = new ZooKeeperTls(ca.caFile().toString(), client.cert().toString(),
                client.key().toString())) {
            tls.apply(config);
            assertThat(config.getProperty(ZKClientConfig.SECURE_CLIENT)).isEqualTo("true");
            assertThat(config.getProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET))
                    .isEqualTo("org.apache.zookeeper.ClientCnxnSocketNetty");
            assertThat(config.getProperty("zookeeper.ssl.hostnameVerification")).isEqualTo("true");
            assertThat(config.getProperty("zookeeper.ssl.enabledProtocols")).isEqualTo("TLSv1.3,TLSv1.2");
            assertThat(config.getProperty("zookeeper.ssl.trustStore.location")).isEqualTo(ca.caFile().toString());
            assertThat(config.getProperty("zookeeper.ssl.trustStore.type")).isEqualTo("PEM");
            assertThat(config.getProperty("zookeeper.ssl.keyStore.type")).isEqualTo("PEM");
            keyStore = Path.of(config.getProperty("zookeeper.ssl.keyStore.location"));
            assertThat(keyStore).as("certificate and key joined in one file").isNotEqualTo(client.cert())
                    .content().contains("BEGIN CERTIFICATE").contains("PRIVATE KEY");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyStore))).isEqualTo("rw-------");
        }
        assertThat(keyStore).as("the joined key store is deleted on close").doesNotExist();
        assertThat(zookeeperSystemProperties()).isEqualTo(before);
    }

    @Test
    void oneFileHoldingCertificateAndKeyIsUsedAsItIs() throws Exception {
        Path both = dir.resolve("both.pem");
        Files.writeString(both, Files.readString(client.cert()) + Files.readString(client.key()));
        ZKClientConfig config = new ZKClientConfig();
        try (ZooKeeperTls tls = new ZooKeeperTls(ca.caFile().toString(), both.toString(), both.toString())) {
            tls.apply(config);
            assertThat(config.getProperty("zookeeper.ssl.keyStore.location")).isEqualTo(both.toString());
        }
        assertThat(both).exists();
    }

    /** Without dcsCaFile, ZooKeeper is handed the JVM's trust store, so that it still checks host names. */
    @Test
    void withoutACaFileTheJvmTrustStoreIsLoadedByZooKeeper() {
        ZKClientConfig config = new ZKClientConfig();
        try (ZooKeeperTls tls = new ZooKeeperTls(null, null, null)) {
            tls.apply(config);
        }
        assertThat(config.getProperty("zookeeper.ssl.trustStore.location")).isNotEmpty()
                .satisfies(p -> assertThat(Path.of(p)).exists());
        assertThat(config.getProperty("zookeeper.ssl.keyStore.location")).isNull();
    }

    @Test
    void anUnreadableCaFileIsNamed() {
        String missing = dir.resolve("nope/ca.crt").toString();
        try (ZooKeeperTls tls = new ZooKeeperTls(missing, null, null)) {
            assertThatThrownBy(() -> tls.apply(new ZKClientConfig())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("dcsCaFile=" + missing);
        }
    }

    @Test
    void aKeyThatIsNotPemIsNamed() throws Exception {
        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, "not a key");
        try (ZooKeeperTls tls = new ZooKeeperTls(ca.caFile().toString(), client.cert().toString(), bad.toString())) {
            assertThatThrownBy(() -> tls.apply(new ZKClientConfig())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("dcsKeyFile=" + bad);
        }
    }

    @Test
    void nettyOnTheClassPathIsChecked() {
        assertThat(ZooKeeperTls.missingNetty(getClass().getClassLoader())).isNull();
        ClassLoader none = new ClassLoader(null) {
        };
        assertThat(ZooKeeperTls.missingNetty(none)).contains("dcsTls=true", "io.netty:netty-handler",
                "io.netty:netty-transport-classes-epoll");
    }

    private static Map<String, String> zookeeperSystemProperties() {
        Map<String, String> m = new TreeMap<>();
        System.getProperties().forEach((k, v) -> {
            if (String.valueOf(k).startsWith("zookeeper.")) {
                m.put(String.valueOf(k), String.valueOf(v));
            }
        });
        return m;
    }
}
