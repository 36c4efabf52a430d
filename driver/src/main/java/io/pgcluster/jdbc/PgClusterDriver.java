package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import io.pgcluster.jdbc.config.PgClusterProperty;
import io.pgcluster.jdbc.config.PgClusterUrl;
import io.pgcluster.jdbc.failover.SqlStates;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLNonTransientException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Logger;
import org.postgresql.PGProperty;

/**
 * The JDBC driver for {@code jdbc:pgcluster:} URLs, for tools and frameworks that configure a URL rather than
 * a {@link javax.sql.DataSource}. It registers itself with {@link DriverManager} (through
 * {@code META-INF/services/java.sql.Driver} and when the class is loaded).
 *
 * <p>URL forms (see {@link PgClusterUrl} and docs/configuration.md for every parameter):
 * <pre>
 * jdbc:pgcluster:etcd://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&amp;namespace=/service][&amp;key=value...]
 * jdbc:pgcluster:patroni://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...]
 * jdbc:pgcluster:hosts://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...]
 * jdbc:pgcluster:endpoints://WRITE_HOST:PORT/DATABASE?read=READ_HOST:PORT[&amp;key=value...]
 * </pre>
 *
 * <pre>{@code
 * // DriverManager
 * String url = "jdbc:pgcluster:etcd://10.0.0.1:2379,10.0.0.2:2379/orders?scope=orders";
 * try (Connection c = DriverManager.getConnection(url, "app", secret)) {
 *     c.setReadOnly(true); // this transaction runs on a replica
 *     ...
 * }
 *
 * // HikariCP in front of it is not needed (pgcluster pools per member), but works:
 * HikariConfig hikari = new HikariConfig();
 * hikari.setJdbcUrl(url);
 * hikari.setUsername("app");
 * hikari.setPassword(secret);
 *
 * // Flyway recognises databases by URL prefix, so give it the shared data source (migrations run on the leader)
 * Properties info = new Properties();
 * info.setProperty("user", "app");
 * info.setProperty("password", secret);
 * Flyway.configure().dataSource(PgClusterDriver.dataSource(url, info)).load().migrate();
 * }</pre>
 *
 * <p>Frameworks that infer the driver from the URL prefix (Spring Boot's {@code spring.datasource.url}) need the
 * class named: {@code spring.datasource.driver-class-name=io.pgcluster.jdbc.PgClusterDriver}.
 *
 * <p><b>Sharing.</b> All connections whose effective settings (URL and {@code Properties}, credentials
 * included) are equal share one {@link PgClusterDataSource}: one topology watch and one set of pools, started
 * by the first {@link #connect}, so that each {@code getConnection} borrows rather than opens. Different
 * credentials never share.
 *
 * <p><b>Release.</b> A shared cluster whose connections are all closed (or garbage collected) is closed, pools and
 * threads, once it has been idle for {@code sharedIdleTimeout} (default 5 minutes; {@code 0} closes it at the
 * first check that finds it idle); the next {@link #connect} of its settings starts a new one. The check runs on
 * one daemon thread for the whole driver, {@code pgcluster-shared-release}, every quarter of the shortest
 * {@code sharedIdleTimeout} but at most every 100 ms and at least every second, and only while something is
 * shared. A connect under way keeps its cluster: it never gets a closed one. {@link #dataSource(String, Properties)}
 * returns the shared data source, e.g. for its topology, health or metrics, or for Flyway; one handed out so is
 * never released for idleness (its caller holds it): {@link #close(String, Properties)} or {@link #closeAll()}
 * closes it, and so does closing it, for every user of the same settings.
 *
 * <p><b>Cap.</b> At most 32 clusters are shared in a JVM (system property {@code pgcluster.maxSharedClusters},
 * 1 to 10000). Starting one more first releases the cluster idle the longest; when none is idle, {@link #connect}
 * fails with SQLState {@code 53300} ({@link java.sql.SQLTransientException}; PostgreSQL's too_many_connections,
 * since closing connections clears it) saying how many are open and why. Each distinct URL, setting or password
 * needs a cluster of its own, so an application that connects with many credentials should use a
 * {@link PgClusterDataSource} per user instead.
 *
 * <p>A pool whose login the server refuses (SQLState 28P01 or 28000) stops opening connections until a borrower
 * asks for one: a wrong password costs one attempt per borrower, not a retry every few seconds for ever.
 *
 * <p><b>SQLStates of configuration errors.</b> {@link #connect} reports a bad URL or bad {@code Properties} as
 * an {@link SQLException} whose cause is the {@link PgClusterConfigException} (message with passwords masked):
 * <ul>
 *   <li>{@code 08001} ({@link SQLNonTransientConnectionException}) when the settings do not say where to
 *       connect: the URL's shape (no or unknown source, missing {@code //}, user information, malformed or
 *       duplicate parameters, unknown keys), or a missing or bad {@code source}, {@code servers},
 *       {@code read}, {@code database} or {@code scope}; that is, whenever
 *       {@link PgClusterConfigException#property()} is {@code null} or one of these five;</li>
 *   <li>{@code 22023} ({@link SQLNonTransientException}) when any other catalog property has a bad value or
 *       conflicts with another one (e.g. {@code failoverTimeout=30x}, {@code minIdle} above the pool size).</li>
 * </ul>
 * A failure to start following the cluster is reported with {@code 08001} as well. {@code connect} itself
 * never opens a physical connection: the returned logical connection binds one at its first statement.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PgClusterDriver implements Driver {
    private static final int MAJOR_VERSION = 0;
    private static final int MINOR_VERSION = 1;
    /** The properties that say where to connect: their problems are 08001, the others' 22023. */
    private static final Set<PgClusterProperty> LOCATING = EnumSet.of(PgClusterProperty.SOURCE,
            PgClusterProperty.SERVERS, PgClusterProperty.READ, PgClusterProperty.DATABASE, PgClusterProperty.SCOPE);
    private static final SharedClusters<PgClusterDataSource> SHARED = new SharedClusters<>(new SharedDataSources(),
            SharedClusters::maxFromSystemProperty, System::nanoTime, true);

    static {
        try {
            DriverManager.registerDriver(new PgClusterDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** For {@link java.util.ServiceLoader}; all instances share the same clusters. */
    public PgClusterDriver() {
    }

    /**
     * A logical connection to the cluster {@code url} names, from the data source shared by every connection
     * with the same effective settings; {@code null} when {@code url} is not a {@code jdbc:pgcluster:} URL.
     *
     * @param info connection properties ({@code user}, {@code password}, any pgcluster or pgjdbc property); they
     *     override the URL's parameters; may be {@code null}
     * @throws SQLException 08001 or 22023 for a bad URL or property (see the class documentation), 08001 when
     *     following the cluster cannot start, 53300 when a new shared cluster would exceed the cap and none is
     *     idle, 22023 when {@code -Dpgcluster.maxSharedClusters} is not a number from 1 to 10000, 08003 when the
     *     shared data source was closed concurrently
     */
    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        if (!PgClusterUrl.accepts(url)) {
            return null;
        }
        PgClusterConfig config = config(url, info);
        try {
            return SHARED.connect(config);
        } catch (RuntimeException e) {
            throw cannotStart(config, e);
        }
    }

    /** Whether {@code url} starts with {@code jdbc:pgcluster:}; {@code false} for {@code null}. */
    @Override
    public boolean acceptsURL(String url) {
        return PgClusterUrl.accepts(url);
    }

    /**
     * Every pgcluster property with its description and current value (from {@code url} and {@code info}, else
     * the default), plus the pgjdbc properties given; passwords show as {@code ****}. Best effort: a partly
     * invalid URL still yields the list. {@code source}, {@code servers} and {@code database} are always
     * required, {@code scope} for source etcd, {@code read} for source endpoints.
     *
     * @return an empty array when {@code url} is neither {@code null} nor a {@code jdbc:pgcluster:} URL
     */
    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        if (url != null && !PgClusterUrl.accepts(url)) {
            return new DriverPropertyInfo[0];
        }
        Map<String, String> given = PgClusterUrl.describe(url, info);
        PgClusterConfig.Source source = PgClusterConfig.Source.forKey(given.get(PgClusterProperty.SOURCE.key()));
        List<DriverPropertyInfo> out = new ArrayList<>();
        for (PgClusterProperty p : PgClusterProperty.values()) {
            String value = given.containsKey(p.key()) ? given.get(p.key()) : p.defaultValue();
            DriverPropertyInfo d = new DriverPropertyInfo(p.key(), p.isSecret() && value != null ? "****" : value);
            String range = p.rangeDescription();
            d.description = range.isEmpty() ? p.description() : p.description() + " Allowed: " + range + ".";
            d.choices = p.choices().isEmpty() ? null : p.choices().toArray(new String[0]);
            d.required = isRequired(p, source);
            out.add(d);
        }
        for (Map.Entry<String, String> e : given.entrySet()) {
            PGProperty pg = PGProperty.forName(e.getKey());
            if (pg != null && PgClusterProperty.forKey(e.getKey()) == null) {
                DriverPropertyInfo d = new DriverPropertyInfo(e.getKey(), e.getValue()); // secrets already masked
                d.description = "pgjdbc: " + pg.getDescription();
                d.choices = pg.getChoices();
                out.add(d);
            }
        }
        return out.toArray(new DriverPropertyInfo[0]);
    }

    @Override
    public int getMajorVersion() {
        return MAJOR_VERSION;
    }

    @Override
    public int getMinorVersion() {
        return MINOR_VERSION;
    }

    /** {@code false}: pgcluster routes and retries, which the JDBC compliance tests do not expect. */
    @Override
    public boolean jdbcCompliant() {
        return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgcluster logs through slf4j");
    }

    /**
     * The data source shared by connections of {@code url} and {@code info}, started now if there is none: for
     * its topology, health or metrics. From now on it is never released for idleness; closing it, or
     * {@link #close(String, Properties)}, stops it for every connection of these settings.
     *
     * @throws SQLException as {@link #connect}, and 08001 when {@code url} is not a {@code jdbc:pgcluster:} URL
     */
    public static PgClusterDataSource dataSource(String url, Properties info) throws SQLException {
        PgClusterConfig config = config(url, info);
        try {
            return SHARED.dataSource(config);
        } catch (RuntimeException e) {
            throw cannotStart(config, e);
        }
    }

    /**
     * Closes the shared data source of {@code url} and {@code info}: its pools (aborting connections in use)
     * and its threads. A later {@link #connect} starts a new one.
     *
     * @return whether an open shared data source was closed
     * @throws SQLException as {@link #connect} when the URL or a property is bad
     */
    public static boolean close(String url, Properties info) throws SQLException {
        return SHARED.close(config(url, info));
    }

    /**
     * Closes every shared data source, as an application's shutdown or a test's clean-up would.
     *
     * @return how many were open
     */
    public static int closeAll() {
        return SHARED.closeAll();
    }

    /** How many shared data sources are open (for tests). */
    static int sharedCount() {
        return SHARED.size();
    }

    /** The SQLState for a configuration error; see the class documentation. */
    static String sqlState(PgClusterConfigException e) {
        PgClusterProperty p = e.property();
        return p == null || LOCATING.contains(p) ? SqlStates.UNABLE_TO_CONNECT : SqlStates.INVALID_PARAMETER;
    }

    private static PgClusterConfig config(String url, Properties info) throws SQLException {
        try {
            return PgClusterUrl.parse(url, info).build();
        } catch (PgClusterConfigException e) {
            throw toSqlException(e);
        } catch (RuntimeException e) {
            throw new SQLNonTransientConnectionException("pgcluster: cannot read the URL '" + PgClusterUrl.mask(url)
                    + "': " + e.getClass().getSimpleName(), SqlStates.UNABLE_TO_CONNECT, e);
        }
    }

    /** The configuration error as an SQLException with the SQLState of {@link #sqlState}, the error as cause. */
    static SQLException toSqlException(PgClusterConfigException e) {
        String message = "pgcluster: " + e.getMessage();
        String state = sqlState(e);
        return state.equals(SqlStates.UNABLE_TO_CONNECT) ? new SQLNonTransientConnectionException(message, state, e)
                : new SQLNonTransientException(message, state, e);
    }

    private static SQLException cannotStart(PgClusterConfig config, RuntimeException e) {
        return new SQLNonTransientConnectionException("pgcluster: cannot start following cluster '" + config.name()
                + "': " + e.getMessage(), SqlStates.UNABLE_TO_CONNECT, e);
    }

    /** Whether {@code p} must be given for {@code source} ({@code null} when the URL names none or an unknown one). */
    private static boolean isRequired(PgClusterProperty p, PgClusterConfig.Source source) {
        switch (p) {
            case SOURCE:
            case SERVERS:
            case DATABASE:
                return true;
            case SCOPE:
                return source != null && source.needsScope();
            case READ:
                return source != null && source.needsReadAddress();
            default:
                return false;
        }
    }

    /** How the driver shares {@link PgClusterDataSource}s. */
    private static final class SharedDataSources implements SharedClusters.Kind<PgClusterDataSource> {
        @Override
        public PgClusterDataSource open(PgClusterConfig config) {
            return new PgClusterDataSource(config);
        }

        @Override
        public Connection connect(PgClusterDataSource ds) throws SQLException {
            return ds.getConnection();
        }

        @Override
        public boolean isClosed(PgClusterDataSource ds) {
            return ds.isClosed();
        }

        @Override
        public void close(PgClusterDataSource ds) {
            ds.close();
        }
    }
}
