package io.pgcluster.spring;

import io.pgcluster.jdbc.ClusterHealth;
import io.pgcluster.jdbc.PgClusterDataSource;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Actuator health (Spring Boot 4, {@code org.springframework.boot.health.contributor}) of a pgcluster data source;
 * the same report as {@link PgClusterHealthIndicator}. Loaded only on Spring Boot 4.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PgClusterHealthContributor implements HealthIndicator {
    private final PgClusterDataSource dataSource;

    public PgClusterHealthContributor(PgClusterDataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Health health() {
        ClusterHealth h = dataSource.health();
        return (h.up() ? Health.up() : Health.down()).withDetails(h.details()).build();
    }
}
