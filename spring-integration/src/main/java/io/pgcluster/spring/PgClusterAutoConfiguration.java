package io.pgcluster.spring;

import io.pgcluster.jdbc.PgClusterDataSource;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * Makes the application's {@link DataSource} a {@link PgClusterDataSource} when {@code spring.datasource.url} is a
 * {@code jdbc:pgcluster:} URL or {@code pgcluster.*} properties are set. {@link PgClusterHealthAutoConfiguration}
 * and {@link PgClusterMetricsAutoConfiguration} then report it to Actuator and Micrometer.
 *
 * <p>Ordered before Spring Boot's own DataSource auto-configuration (Spring Boot 3 and 4 keep it in different
 * packages; both are named), which then backs off. An application that defines its own {@code DataSource} keeps it.
 * {@code @Transactional(readOnly = true)} then runs on replicas; everything else on the leader.
 *
 * <pre>
 * spring.datasource.url=jdbc:pgcluster:etcd://10.0.0.1:2379,10.0.0.2:2379/orders?scope=orders
 * spring.datasource.username=app
 * spring.datasource.password=${DB_PASSWORD}
 * pgcluster.max-replica-lag=8MB
 * </pre>
 */
@AutoConfiguration(beforeName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"})
@ConditionalOnClass(PgClusterDataSource.class)
@Conditional(OnPgClusterCondition.class)
public final class PgClusterAutoConfiguration {

    /** The cluster data source, closed with the context. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(DataSource.class)
    PgClusterDataSource dataSource(Environment environment) {
        return new PgClusterDataSource(PgClusterSettings.config(environment));
    }
}
