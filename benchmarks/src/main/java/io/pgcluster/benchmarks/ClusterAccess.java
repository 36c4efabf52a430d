package io.pgcluster.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a benchmark reaches the cluster: etcd (for pgcluster's etcd source), Patroni's scope and namespace, and the
 * application database and credentials. Also builds the clients being compared, configured alike: a pgcluster data
 * source, and raw HikariCP pools sized and timed exactly like pgcluster's own per-member pools (the values are read
 * from pgcluster's defaults, not restated here).
 *
 * <p>JMH forks get it as system properties ({@link #toSystemProperties()}, {@link #fromSystemProperties()}).
 *
 * @param etcd etcd client endpoint, {@code host:port}
 * @param scope Patroni's scope
 * @param namespace Patroni's namespace
 * @param database the application database
 * @param user the application user
 * @param password its password (a random one of a throw-away cluster on loopback)
 */
public record ClusterAccess(String etcd, String scope, String namespace, String database, String user,
        String password) {

    private static final String PREFIX = "pgcluster.bench.";

    public ClusterAccess {
        Objects.requireNonNull(etcd, "etcd");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    /** The access data of a running test-kit cluster. */
    public static ClusterAccess of(PatroniCluster cluster) {
        return new ClusterAccess(cluster.etcdClientEndpoint().replaceFirst("^https?://", ""), cluster.scope(),
                cluster.namespace(), cluster.database(), cluster.user(), cluster.password());
    }

    /** {@code -Dpgcluster.bench.<name>=<value>} arguments for a JMH fork. */
    public List<String> toSystemProperties() {
        List<String> l = new ArrayList<>();
        l.add("-D" + PREFIX + "etcd=" + etcd);
        l.add("-D" + PREFIX + "scope=" + scope);
        l.add("-D" + PREFIX + "namespace=" + namespace);
        l.add("-D" + PREFIX + "database=" + database);
        l.add("-D" + PREFIX + "user=" + user);
        l.add("-D" + PREFIX + "password=" + password);
        return l;
    }

    /**
     * Reads what {@link #toSystemProperties()} wrote.
     *
     * @throws IllegalStateException naming the missing property, with how to run the benchmark
     */
    public static ClusterAccess fromSystemProperties() {
        return new ClusterAccess(property("etcd"), property("scope"), property("namespace"), property("database"),
                property("user"), property("password"));
    }

    /** A required {@code pgcluster.bench.<name>} system property. */
    public static String property(String name) {
        String v = System.getProperty(PREFIX + name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("System property " + PREFIX + name + " is not set: these benchmarks "
                    + "need a running cluster; run them with `bash scripts/bench-overhead.sh`, which starts one");
        }
        return v;
    }

    /** The system property name for {@code name}, to pass more values to JMH forks. */
    public static String propertyName(String name) {
        return PREFIX + name;
    }

    /** A pgcluster configuration with the etcd source and every other setting at its default. */
    public PgClusterConfig.Builder pgcluster(String name) {
        return PgClusterConfig.builder().etcd(etcd).scope(scope).namespace(namespace).name(name).database(database)
                .user(user).password(password);
    }

    /** {@code jdbc:postgresql://<hosts>/<database>} followed by {@code query} when not empty. */
    public String pgjdbcUrl(String hosts, String query) {
        return "jdbc:postgresql://" + hosts + "/" + database + (query == null || query.isEmpty() ? "" : "?" + query);
    }

    /**
     * A raw HikariCP pool on {@code jdbcUrl}, configured like one of pgcluster's member pools: the same maximum size,
     * minimum idle, connection, validation, idle, keepalive and lifetime settings, the same pool-level read-only flag
     * as pgcluster's read pools ({@code readOnly}) or write pool, and the same pgjdbc connect and login timeouts.
     */
    public HikariDataSource hikari(String poolName, String jdbcUrl, boolean readOnly) {
        PgClusterConfig defaults = pgcluster(poolName).build();
        HikariConfig h = new HikariConfig();
        h.setPoolName(poolName);
        h.setJdbcUrl(jdbcUrl);
        h.setUsername(user);
        h.setPassword(password);
        h.setMaximumPoolSize(readOnly ? defaults.readPoolSize() : defaults.writePoolSize());
        h.setMinimumIdle(defaults.minIdle());
        h.setConnectionTimeout(defaults.connectionTimeout().toMillis());
        h.setValidationTimeout(defaults.validationTimeout().toMillis());
        h.setIdleTimeout(defaults.idleTimeout().toMillis());
        h.setMaxLifetime(defaults.maxLifetime().toMillis());
        h.setKeepaliveTime(defaults.keepaliveTime().toMillis());
        h.setReadOnly(readOnly);
        h.setAutoCommit(true);
        h.setRegisterMbeans(false);
        String seconds = Long.toString(Math.max(1, (defaults.connectionTimeout().toMillis() + 999) / 1000));
        h.addDataSourceProperty("connectTimeout", seconds);
        h.addDataSourceProperty("loginTimeout", seconds);
        h.addDataSourceProperty("ApplicationName", poolName);
        return new HikariDataSource(h);
    }
}
