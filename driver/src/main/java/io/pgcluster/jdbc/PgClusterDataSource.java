package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.internal.failover.TransactionRunner;
import io.pgcluster.jdbc.internal.metrics.ClusterMetrics;
import io.pgcluster.jdbc.internal.routing.WritePositions;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.jdbc.topology.TopologyListener;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} for a Patroni-run PostgreSQL cluster: it follows the cluster's topology, keeps a pool on
 * the leader and one per replica, and routes each transaction by its read-only flag.
 *
 * <p>{@link #getConnection()} returns a logical connection that binds a physical one at its first statement:
 * from a replica when {@code setReadOnly(true)} was called before (Spring's
 * {@code @Transactional(readOnly = true)} does exactly that), else from the leader. During a failover or
 * switchover writes wait for the new leader up to {@code failoverTimeout}; connection failures surface with the
 * SQLStates documented in docs/failover.md; {@link #inTransaction} runs units of work again when that is safe.
 *
 * <pre>{@code
 * PgClusterConfig config = PgClusterConfig.builder()
 *     .etcd("10.0.0.1:2379,10.0.0.2:2379").scope("orders")
 *     .database("orders").user("app").password(secret)
 *     .build();
 * try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
 *     long open = ds.inTransaction(TransactionMode.READ_ONLY, c -> countOpenOrders(c)); // on a replica
 *     ds.inTransaction(TransactionMode.READ_WRITE, c -> insertOrder(c, order));       // on the leader
 * }
 * }</pre>
 *
 * <p>Construction does not connect: it starts following the topology in the background, so an application can
 * start while the cluster is briefly unreachable. Bad settings fail at {@link PgClusterConfig.Builder#build()}.
 *
 * <p>Thread-safety: safe for concurrent use. The connections it returns are, like any JDBC connection, for one
 * thread at a time. {@link #close()} closes every pool and stops every pgcluster thread.
 */
public final class PgClusterDataSource implements DataSource, AutoCloseable {
    private final Cluster cluster;
    private final TransactionRunner runner;
    private volatile boolean closed;
    private volatile PrintWriter logWriter;
    private volatile int loginTimeout;

    /** Starts following the configured cluster. */
    public PgClusterDataSource(PgClusterConfig config) {
        this.cluster = new Cluster(config);
        this.runner = new TransactionRunner(config.name(), config, this, cluster.metrics());
    }

    /**
     * A logical connection, bound to a physical one at first use by its read-only flag.
     *
     * @throws SQLException 08003 when this data source is closed
     */
    @Override
    public Connection getConnection() throws SQLException {
        if (closed) {
            throw new SQLNonTransientConnectionException("pgcluster: data source '" + cluster.name()
                    + "' is closed", SqlStates.CONNECTION_CLOSED);
        }
        return new LogicalConnection(cluster);
    }

    /** Not supported: a pgcluster data source connects with its configured credentials. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("pgcluster: connections use the configured user; configure "
                + "another data source for another user");
    }

    /**
     * Runs {@code work} in one transaction: read-only work on a replica, read-write work on the leader, and runs
     * it again after a retryable failure when {@code mode} allows (see {@link TransactionMode}).
     *
     * @return what {@code work} returned, after a successful commit
     * @throws SQLException the last failure, with its SQLState
     */
    public <T> T inTransaction(TransactionMode mode, TransactionWork<T> work) throws SQLException {
        return runner.run(mode, mode != null && mode.isReadOnly(), mode != null && mode.isRetryable(), work);
    }

    /**
     * The highest WAL position of the writes this JVM committed on the current leader, in PostgreSQL's text form
     * ({@code pg_lsn}, e.g. {@code 0/3000148}), or {@code null} if it wrote nothing there (or
     * {@code readYourWrites=off}). Hand it to another process, which passes it to {@link #readAtLeast} so that its
     * reads see these writes (e.g. in an HTTP header after a form POST). A leader change drops it: positions of a
     * former leader say nothing about the new one's history.
     */
    public String writePosition() {
        long lsn = cluster.positions().written();
        return lsn == WritePositions.NONE ? null : WritePositions.format(lsn);
    }

    /**
     * Until the returned scope is closed, reads on this thread (read-only transactions, and auto-commit statements
     * sent to replicas) run only on a member that has replayed at least {@code position}, the text form of a WAL
     * position (as {@link #writePosition()} returns it, or PostgreSQL's {@code pg_current_wal_lsn()}): a replica
     * that is behind gets up to {@code readYourWritesTimeout} to catch up, then the read goes to the leader. Scopes
     * nest; closing one restores the position required before it. While the cluster has no leader (a failover),
     * reads are not held back: the replicas have all the WAL that survives.
     *
     * <pre>{@code
     * try (PgClusterDataSource.ReadScope fresh = ds.readAtLeast(request.getHeader("X-Write-Position"))) {
     *     return ds.inTransaction(TransactionMode.READ_ONLY, c -> loadOrder(c, id));
     * }
     * }</pre>
     *
     * @param position e.g. {@code 0/3000148}; {@code null} requires nothing (the scope changes nothing)
     * @throws IllegalArgumentException when {@code position} is not in that form (the message names the value)
     */
    public ReadScope readAtLeast(String position) {
        return new ReadScope(cluster.positions().enter(position == null ? WritePositions.NONE
                : WritePositions.parse(position.trim())));
    }

    /**
     * The scope of {@link #readAtLeast}: closing it (on the thread that opened it) ends the requirement; closing
     * again does nothing. Not thread-safe: it belongs to the thread that opened it.
     */
    public static final class ReadScope implements AutoCloseable {
        private final WritePositions.Scope scope;

        private ReadScope(WritePositions.Scope scope) {
            this.scope = scope;
        }

        @Override
        public void close() {
            scope.close();
        }
    }

    /**
     * The topology snapshot routing acts on now (never {@code null}): the one the next connection is routed by. A
     * snapshot the source has just published becomes visible here once routing has applied it (its pools opened or
     * retired), so this never shows a leader or replica that routing does not use yet.
     */
    public Topology topology() {
        return cluster.router().table().topology();
    }

    /** How the cluster looks now: leader, replicas and their lag, source, and whether writes can be served. */
    public ClusterHealth health() {
        return cluster.health();
    }

    /** Registers a listener for every new topology snapshot; it runs on the topology thread and must be quick. */
    public void addTopologyListener(TopologyListener listener) {
        cluster.view().addListener(listener);
    }

    /**
     * Reports what this data source's topology, pools, routing and failover handling do to {@code metrics}, from
     * now until the data source closes: it first hears the current topology and open pools, then every event, and
     * {@link ClusterMetrics#closed()} last. For Micrometer, bind a
     * {@link io.pgcluster.jdbc.micrometer.PgClusterMeterBinder} rather than calling this.
     */
    public void addMetrics(ClusterMetrics metrics) {
        cluster.metrics().attach(Objects.requireNonNull(metrics, "metrics"));
    }

    /** The configuration (secrets masked in its {@code toString()}). */
    public PgClusterConfig config() {
        return cluster.config();
    }

    /** The cluster's name in logs, threads and metrics. */
    public String name() {
        return cluster.name();
    }

    /** Closes every pool (aborting connections still in use) and stops every pgcluster thread; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        cluster.close();
    }

    public boolean isClosed() {
        return closed;
    }

    Cluster cluster() {
        return cluster;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    /** Kept for the DataSource contract; connection waits are governed by pgcluster's own timeouts. */
    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgcluster logs through slf4j");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("pgcluster: not a wrapper for " + iface.getName(), SqlStates.INVALID_PARAMETER);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public String toString() {
        return "PgClusterDataSource[" + cluster.name() + ", " + cluster.source().describe() + (closed ? ", closed" : "")
                + "]";
    }
}
