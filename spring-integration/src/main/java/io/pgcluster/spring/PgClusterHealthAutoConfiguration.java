package io.pgcluster.spring;

import io.pgcluster.jdbc.PgClusterDataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A health indicator named {@code pgcluster} for the {@link PgClusterDataSource}, on Spring Boot 3
 * ({@code org.springframework.boot.actuate.health}) or Spring Boot 4 ({@code org.springframework.boot.health}).
 */
@AutoConfiguration(after = PgClusterAutoConfiguration.class)
@ConditionalOnBean(PgClusterDataSource.class)
public final class PgClusterHealthAutoConfiguration {

    /** Spring Boot 3. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    @ConditionalOnMissingClass("org.springframework.boot.health.contributor.HealthIndicator")
    static final class Boot3 {

        @Bean
        @ConditionalOnMissingBean(name = "pgclusterHealthIndicator")
        PgClusterHealthIndicator pgclusterHealthIndicator(PgClusterDataSource dataSource) {
            return new PgClusterHealthIndicator(dataSource);
        }
    }

    /** Spring Boot 4. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static final class Boot4 {

        @Bean
        @ConditionalOnMissingBean(name = "pgclusterHealthIndicator")
        PgClusterHealthContributor pgclusterHealthIndicator(PgClusterDataSource dataSource) {
            return new PgClusterHealthContributor(dataSource);
        }
    }
}
