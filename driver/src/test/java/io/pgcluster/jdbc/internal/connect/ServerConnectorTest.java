package io.pgcluster.jdbc.internal.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import java.util.Map;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** How physical connections get their server and settings: against a fake server that records the start-up. */
class ServerConnectorTest {

    private static PgClusterConfig.Builder config() {
        return PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo").database("app").user("app")
                .password("s3cret").set("connectTimeout", "2").set("loginTimeout", "3");
    }

    @Test
    void aHostFromTopologyDataCannotInjectPgjdbcSettings() throws Exception {
        try (FakePostgres fake = new FakePostgres()) {
            ServerConnector connector = new ServerConnector(config().set("sslmode", "require").build());
            // what a hostile DCS record or /cluster answer could carry as a member's host (no ':', which the old
            // code took for an IPv6 literal and bracketed)
            String host = "127.0.0.1/app?sslmode=disable&PGPORT=" + fake.port() + "&x=";

            assertThatThrownBy(() -> connector.connect(host, 5432)).isInstanceOf(SQLException.class);

            assertThat(fake.startups).as("no start-up packet (with the user name, then the password) went out in "
                    + "clear although sslmode=require").isEmpty();
        }
    }

    @Test
    void hostPortAndDatabaseTravelAsProperties() throws Exception {
        try (FakePostgres fake = new FakePostgres()) {
            ServerConnector connector = new ServerConnector(config().database("my db/x?sslmode=require&y=1")
                    .set("sslmode", "disable").build());

            assertThatThrownBy(() -> connector.connect("127.0.0.1", fake.port())).isInstanceOf(SQLException.class);

            assertThat(fake.startups).hasSize(1);
            assertThat(fake.startups.get(0)).containsEntry("database", "my db/x?sslmode=require&y=1")
                    .containsEntry("user", "app");
            assertThat(fake.encryptionRequests).isEmpty();
        }
    }

    @Test
    void theConfiguredSslModeReachesEveryConnection() throws Exception {
        try (FakePostgres fake = new FakePostgres()) {
            ServerConnector connector = new ServerConnector(config().set("sslmode", "require").build());

            assertThatThrownBy(() -> connector.connect("localhost", fake.port())).isInstanceOf(SQLException.class);

            assertThat(fake.encryptionRequests).containsExactly("ssl");
            assertThat(fake.startups).isEmpty();
        }
    }

    @Test
    void noSocketIsOpenedToAHostOutsideAllowedHosts() throws Exception {
        try (FakePostgres fake = new FakePostgres()) {
            ServerConnector connector = new ServerConnector(config().set("sslmode", "disable")
                    .set("allowedHosts", "10.0.0.0/8,db.example.com").build());

            assertThatThrownBy(() -> connector.connect("127.0.0.1", fake.port())).isInstanceOf(SQLException.class)
                    .hasMessageContaining("not in allowedHosts");
            assertThatThrownBy(() -> connector.withTimeouts(java.time.Duration.ofSeconds(1))
                    .connect("127.0.0.1", fake.port())).hasMessageContaining("not in allowedHosts");

            assertThat(fake.startups).isEmpty();
            assertThat(fake.encryptionRequests).isEmpty();
        }
    }

    @Test
    void poolerModeSetsWhatTransactionPoolingNeedsUnlessGiven() {
        ServerConnector direct = new ServerConnector(config().build());
        ServerConnector pooled = new ServerConnector(config().pooler(PgClusterConfig.Pooler.NODE).build());
        ServerConnector given = new ServerConnector(config().pooler(PgClusterConfig.Pooler.NODE)
                .set("prepareThreshold", "5").build());

        assertThat(direct.property("prepareThreshold")).isNull();
        assertThat(pooled.property("prepareThreshold")).isEqualTo("0");
        assertThat(pooled.property("preparedStatementCacheQueries")).isEqualTo("0");
        assertThat(pooled.property("readOnlyMode")).isEqualTo("transaction");
        assertThat(pooled.withTimeouts(java.time.Duration.ofSeconds(1)).property("prepareThreshold")).isEqualTo("0");
        assertThat(given.property("prepareThreshold")).as("a value the user gave (PgBouncer 1.21+)").isEqualTo("5");
    }

    @Test
    void theTargetIsTheProxyUrlElseThePortOffsetElseThePostgresAddress() {
        Member published = new Member("n1", "10.0.0.1", 5432, Role.PRIMARY, "running", 1, 0, 0, Map.of(), null,
                "10.0.0.9", 6432);
        Member bare = new Member("n2", "10.0.0.2", 5433, Role.REPLICA, "running", 1, 0, 0, Map.of(), null);

        ServerConnector none = new ServerConnector(config().build());
        ServerConnector node = new ServerConnector(config().pooler(PgClusterConfig.Pooler.NODE).build());
        ServerConnector offset = new ServerConnector(config().pooler(PgClusterConfig.Pooler.NODE)
                .poolerPortOffset(1000).build());

        assertThat(none.target(published)).isEqualTo(new ServerConnector.Target("10.0.0.1", 5432, false));
        assertThat(node.target(published)).isEqualTo(new ServerConnector.Target("10.0.0.9", 6432, true));
        assertThat(offset.target(published)).as("proxy_url first").isEqualTo(
                new ServerConnector.Target("10.0.0.9", 6432, true));
        assertThat(offset.target(bare)).isEqualTo(new ServerConnector.Target("10.0.0.2", 6433, true));
        assertThat(offset.target(bare).toString()).isEqualTo("10.0.0.2:6433 (pooler)");
    }

    @Test
    void aMemberWithoutPoolerAddressIsReachedDirectlyWithOneWarn() throws Exception {
        Member bare = new Member("n2", "10.0.0.2", 5433, Role.REPLICA, "running", 1, 0, 0, Map.of(), null);
        ServerConnector node = new ServerConnector(config().pooler(PgClusterConfig.Pooler.NODE).build());
        ServerConnector.Target[] t = new ServerConnector.Target[1];

        java.io.PrintStream original = System.err; // slf4j-simple, the tests' binding, writes to System.err
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            t[0] = node.target(bare);
            node.target(bare);
        } finally {
            System.setErr(original);
        }
        String log = buffer.toString(java.nio.charset.StandardCharsets.UTF_8);

        assertThat(t[0]).isEqualTo(new ServerConnector.Target("10.0.0.2", 5433, false));
        assertThat(log.lines().filter(l -> l.contains("WARN"))).singleElement().asString().contains("n2")
                .contains("proxy_address").contains("poolerPortOffset");
    }
}
