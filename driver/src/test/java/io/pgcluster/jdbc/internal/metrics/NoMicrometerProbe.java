package io.pgcluster.jdbc.internal.metrics;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Member;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Runs inside a class loader without Micrometer (see {@link NoMicrometerTest}): creates a data source, attaches a
 * plain {@link ClusterMetrics}, uses the data source and closes it. References nothing but the JDK and the driver.
 */
public final class NoMicrometerProbe implements Callable<String> {

    @Override
    public String call() throws Exception {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry");
            return "Micrometer is visible: the probe proves nothing";
        } catch (ClassNotFoundException expected) {
            // the point
        }
        PgClusterConfig config = PgClusterConfig.builder().endpoints("127.0.0.1:1", "127.0.0.1:2").name("probe")
                .database("db").user("app").password("pw").set("minIdle", "0").set("failoverTimeout", "300ms")
                .set("connectionTimeout", "250ms").build();
        Set<String> seen = new TreeSet<>();
        try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
            ds.addMetrics(new ClusterMetrics() {
                @Override
                public ConnectionTimings poolTimings(Member member, Access access) {
                    return new ConnectionTimings() {
                    };
                }

                @Override
                public void unavailable() {
                    seen.add("unavailable");
                }

                @Override
                public void closed() {
                    seen.add("closed");
                }
            });
            try (Connection c = ds.getConnection()) {
                c.createStatement().execute("SELECT 1");
            } catch (SQLException e) {
                seen.add("write " + e.getSQLState());
            }
            try {
                ds.inTransaction(TransactionMode.READ_ONLY, c -> c.createStatement().execute("SELECT 1"));
            } catch (SQLException e) {
                seen.add("read " + e.getSQLState());
            }
            seen.add("leader " + ds.topology().leader().name());
        }
        try {
            Class.forName("io.pgcluster.jdbc.micrometer.PgClusterMeterBinder");
            seen.add("binder loaded");
        } catch (NoClassDefFoundError e) {
            seen.add("binder needs Micrometer");
        }
        return String.join(", ", seen);
    }
}
