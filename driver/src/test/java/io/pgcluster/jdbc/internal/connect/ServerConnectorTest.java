package io.pgcluster.jdbc.internal.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig;
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
}
