package io.pgcluster.spring;

import io.pgcluster.jdbc.ClusterHealth;
import io.pgcluster.jdbc.PgClusterDataSource;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Actuator health (Spring Boot 3) of a pgcluster data source: UP with the leader, the replicas with their lag and
 * whether they get reads, and the topology's age; DOWN, with the reason, when no leader has been reachable for
 * longer than {@code failoverTimeout}. It reads pgcluster's state and opens no connection.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PgClusterHealthIndicator implements HealthIndicator {
    private final PgClusterDataSource dataSource;

    public PgClusterHealthIndicator(PgClusterDataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Health health() {
        ClusterHealth h = dataSource.health();
        return (h.up() ? Health.up() : Health.down()).withDetails(h.details()).build();
    }
}
