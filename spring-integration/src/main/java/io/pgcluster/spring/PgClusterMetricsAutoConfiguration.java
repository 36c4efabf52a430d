package io.pgcluster.spring;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.micrometer.PgClusterMeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * pgcluster's meters (pools per member, routing, leader changes, failures; see docs/metrics.md) in the application's
 * {@code MeterRegistry}: Spring Boot binds every {@link MeterBinder} bean to it.
 */
@AutoConfiguration(after = PgClusterAutoConfiguration.class)
@ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
@ConditionalOnBean(PgClusterDataSource.class)
public final class PgClusterMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "pgClusterMeterBinder")
    MeterBinder pgClusterMeterBinder(PgClusterDataSource dataSource) {
        return new PgClusterMeterBinder(dataSource);
    }
}
