package io.pgcluster.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** Every condition and property of the auto-configuration; no server needed (nothing connects until used). */
class PgClusterAutoConfigurationTest {
    private static final String URL = "jdbc:pgcluster:endpoints://127.0.0.1:1/orders?read=127.0.0.1:2";
    private static final String PASSWORD = "Hunter2-secret";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PgClusterAutoConfiguration.class,
                    PgClusterHealthAutoConfiguration.class, PgClusterMetricsAutoConfiguration.class,
                    DataSourceAutoConfiguration.class));

    @Test
    void backsOffWithoutPgclusterSettings() {
        runner.withPropertyValues("spring.datasource.url=jdbc:postgresql://127.0.0.1:1/orders")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(PgClusterDataSource.class));
    }

    @Test
    void aPgclusterUrlMakesTheDataSourceAPgClusterDataSource() {
        runner.withPropertyValues("spring.datasource.url=" + URL, "spring.datasource.username=app",
                "spring.datasource.password=" + PASSWORD).run(ctx -> {
                    assertThat(ctx).hasSingleBean(DataSource.class);
                    PgClusterDataSource ds = ctx.getBean(PgClusterDataSource.class);
                    assertThat(ds.config().user()).isEqualTo("app");
                    assertThat(ds.config().password()).isEqualTo(PASSWORD);
                    assertThat(ds.config().database()).isEqualTo("orders");
                    assertThat(ds.toString()).doesNotContain(PASSWORD);
                });
    }

    @Test
    void pgclusterPropertiesWinOverTheUrlInEveryRelaxedForm() {
        runner.withPropertyValues("spring.datasource.url=" + URL + "&failoverTimeout=3s",
                "pgcluster.failover-timeout=7s", "pgcluster.maxReplicaLag=2MB", "pgcluster.readfallback=fail",
                "pgcluster.load-balance=random", "pgcluster.application-name=orders-api").run(ctx -> {
                    PgClusterDataSource ds = ctx.getBean(PgClusterDataSource.class);
                    assertThat(ds.config().failoverTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(ds.config().maxReplicaLag()).isEqualTo(2L << 20);
                    assertThat(ds.config().readFallback().name()).isEqualTo("FAIL");
                    assertThat(ds.config().loadBalance().key()).isEqualTo("random");
                    assertThat(ds.config().pgjdbcProperties()).containsEntry("ApplicationName", "orders-api");
                });
    }

    @Test
    void pgclusterPropertiesAloneAreEnough() {
        runner.withPropertyValues("pgcluster.source=endpoints", "pgcluster.servers=127.0.0.1:1",
                "pgcluster.read=127.0.0.1:2", "pgcluster.database=orders", "spring.datasource.username=app")
                .run(ctx -> {
                    PgClusterDataSource ds = ctx.getBean(PgClusterDataSource.class);
                    assertThat(ds.config().readEndpoint().port()).isEqualTo(2);
                    assertThat(ds.config().user()).isEqualTo("app");
                });
    }

    @Test
    void anApplicationDataSourceIsKept() {
        runner.withPropertyValues("spring.datasource.url=" + URL)
                .withBean("dataSource", DataSource.class, DriverManagerDataSource::new)
                .run(ctx -> {
                    assertThat(ctx).doesNotHaveBean(PgClusterDataSource.class);
                    assertThat(ctx).hasSingleBean(DataSource.class);
                    assertThat(ctx).doesNotHaveBean(PgClusterHealthIndicator.class);
                    assertThat(ctx).doesNotHaveBean("pgClusterMeterBinder");
                });
    }

    @Test
    void badValuesFailTheStartWithTheSettingNamed() {
        runner.withPropertyValues("spring.datasource.url=" + URL, "pgcluster.failover-timeout=soon",
                "spring.datasource.password=" + PASSWORD).run(ctx -> {
                    assertThat(ctx).hasFailed();
                    PgClusterConfigException cause = rootCause(ctx.getStartupFailure());
                    FailureAnalysis analysis = new PgClusterFailureAnalyzer().analyze(ctx.getStartupFailure());
                    assertThat(analysis.getDescription()).contains("'soon'").contains("failoverTimeout")
                            .doesNotContain(PASSWORD);
                    assertThat(analysis.getAction()).contains("pgcluster.failover-timeout")
                            .contains("Default: 30s").contains("0 to 1h");
                    assertThat(cause.key()).isEqualTo("failoverTimeout");
                });
    }

    @Test
    void typosSuggestTheNearestKey() {
        runner.withPropertyValues("spring.datasource.url=" + URL, "pgcluster.failover-timout=5s").run(ctx -> {
            assertThat(ctx).hasFailed();
            FailureAnalysis analysis = new PgClusterFailureAnalyzer().analyze(ctx.getStartupFailure());
            assertThat(analysis.getDescription()).contains("failover-timout").contains("did you mean 'failoverTimeout'");
            assertThat(analysis.getAction()).contains("docs/configuration.md");
        });
    }

    @Test
    void aBadUrlFailsTheStartToo() {
        runner.withPropertyValues("spring.datasource.url=jdbc:pgcluster:etdc://127.0.0.1:2379/orders?scope=x")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    FailureAnalysis analysis = new PgClusterFailureAnalyzer().analyze(ctx.getStartupFailure());
                    assertThat(analysis.getDescription()).contains("etdc").contains("etcd");
                });
    }

    @Test
    void healthAndMetricsWhenActuatorAndMicrometerArePresent() {
        runner.withPropertyValues("spring.datasource.url=" + URL).run(ctx -> {
            assertThat(ctx).hasSingleBean(PgClusterHealthIndicator.class);
            assertThat(ctx).getBean("pgClusterMeterBinder").isInstanceOf(MeterBinder.class);
            var health = ctx.getBean(PgClusterHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("leader", "write (127.0.0.1:1)")
                    .containsKey("topologyAgeMs").containsKey("replicas");
        });
    }

    @Test
    void closingTheContextClosesTheDataSource() {
        PgClusterDataSource[] seen = new PgClusterDataSource[1];
        runner.withPropertyValues("spring.datasource.url=" + URL)
                .run(ctx -> seen[0] = ctx.getBean(PgClusterDataSource.class));
        assertThat(seen[0].isClosed()).isTrue();
    }

    private static PgClusterConfigException rootCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof PgClusterConfigException) {
                return (PgClusterConfigException) c;
            }
        }
        throw new AssertionError("no PgClusterConfigException in " + t);
    }
}
