package io.pgcluster.jdbc.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.config.PgClusterConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binder on a real data source that needs no server: an {@code endpoints} source whose addresses refuse
 * connections. Members are named {@code write} and {@code read}.
 */
class PgClusterMeterBinderTest {
    private static final String SECRET = "Hunter2-secret";

    private static PgClusterConfig config() {
        return PgClusterConfig.builder().endpoints("127.0.0.1:1", "127.0.0.1:2").name("orders").database("db")
                .user("app").password(SECRET).set("minIdle", "0").set("failoverTimeout", "300ms")
                .set("connectionTimeout", "250ms").build();
    }

    @Test
    void prometheusScrapesEveryMeterWithoutSecretsAndClosingRemovesThem() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SimpleMeterRegistry simple = new SimpleMeterRegistry();
        PgClusterMeterBinder binder;
        try (PgClusterDataSource ds = new PgClusterDataSource(config())) {
            binder = new PgClusterMeterBinder(ds, Tags.of("app", "shop"));
            binder.bindTo(prometheus);
            binder.bindTo(simple);
            // a write: the leader refuses connections, so it waits failoverTimeout and gives up with 08001
            assertThatThrownBy(() -> {
                try (Connection c = ds.getConnection()) {
                    c.createStatement().execute("SELECT 1");
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));

            String text = prometheus.scrape();
            assertThat(text).doesNotContain(SECRET).doesNotContain("jdbc:").doesNotContain("://");
            for (String name : List.of("pgcluster_routing_decisions_total", "pgcluster_topology_changes_total",
                    "pgcluster_topology_age_seconds", "pgcluster_topology_source_reachable",
                    "pgcluster_leader_changes_total", "pgcluster_leader_wait_seconds",
                    "pgcluster_leader_first_write_seconds", "pgcluster_member_lag_bytes", "pgcluster_member_leader",
                    "pgcluster_pool_connections", "pgcluster_pool_connections_active",
                    "pgcluster_pool_connections_idle", "pgcluster_pool_connections_pending",
                    "pgcluster_pool_connections_max", "pgcluster_pool_connections_acquire_seconds",
                    "pgcluster_pool_connections_usage_seconds", "pgcluster_pool_connections_creation_seconds",
                    "pgcluster_pool_connections_timeout_total", "pgcluster_pool_suspect",
                    "pgcluster_connection_failures_total", "pgcluster_failures_reported_total")) {
                assertThat(text).as(name).containsPattern("(?m)^" + name + "(_count|_sum|_max)?\\{");
            }
            assertThat(text)
                    .contains("pgcluster_pool_connections{app=\"shop\",cluster=\"orders\",member=\"write\","
                            + "role=\"write\"} 0")
                    .contains("pgcluster_member_leader{app=\"shop\",cluster=\"orders\",member=\"write\"} 1")
                    .contains("pgcluster_topology_source_reachable{app=\"shop\",cluster=\"orders\"} 1")
                    .contains("pgcluster_failures_reported_total{app=\"shop\",cluster=\"orders\",sqlstate=\"08001\"}")
                    .containsPattern("pgcluster_leader_wait_seconds_count\\{app=\"shop\",cluster=\"orders\","
                            + "outcome=\"timeout\"} [1-9]")
                    .containsPattern("pgcluster_connection_failures_total\\{app=\"shop\",cluster=\"orders\","
                            + "member=\"write\",phase=\"connect\",role=\"write\",sqlstate=\"08001\","
                            + "sqlstate_class=\"08\"} [1-9]");
            assertThat(simple.getMeters()).extracting(m -> m.getId().getName())
                    .contains("pgcluster.pool.connections", "pgcluster.leader.wait");
        }
        assertThat(prometheus.scrape()).doesNotContain("pgcluster_");
        assertThat(simple.getMeters()).isEmpty();

        SimpleMeterRegistry late = new SimpleMeterRegistry();
        binder.bindTo(late);
        assertThat(late.getMeters()).as("bound after close").isEmpty();
    }

    @Test
    void severalBindersOfOneDataSourceAttachOnceEach() {
        try (PgClusterDataSource ds = new PgClusterDataSource(config())) {
            SimpleMeterRegistry a = new SimpleMeterRegistry();
            SimpleMeterRegistry b = new SimpleMeterRegistry();
            PgClusterMeterBinder first = new PgClusterMeterBinder(ds);
            first.bindTo(a);
            first.bindTo(a);
            new PgClusterMeterBinder(ds).bindTo(b);
            assertThat(a.getMeters()).isNotEmpty();
            assertThat(a.getMeters().size()).isEqualTo(b.getMeters().size());
            assertThat(a.find("pgcluster.pool.connections").tag("cluster", "orders").gauges()).hasSize(2);
        }
    }
}
