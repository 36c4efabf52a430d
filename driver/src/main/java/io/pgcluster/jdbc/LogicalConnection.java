package io.pgcluster.jdbc;

import io.pgcluster.jdbc.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.routing.MemberPool;
import io.pgcluster.jdbc.routing.Router.Lease;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.ClientInfoStatus;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection {@link PgClusterDataSource#getConnection()} returns: it binds a physical connection lazily, at
 * first use, from the pool the read-only flag chooses (a replica for read-only work, else the leader), and keeps
 * it until {@link #close()} or a change of the flag between transactions.
 *
 * <p>Connection state set before binding (auto-commit, read-only, isolation, schema, catalog, holdability, type
 * map, client info, network timeout) is applied at binding and again whenever the connection rebinds.
 *
 * <p>When the physical connection fails (SQLState class 08, 57P01-57P03, an I/O error) its member becomes
 * suspect, the topology is looked at again, and the failure surfaces precisely:
 * <ul>
 *   <li>a statement that nothing could have been lost before (a read-only statement in auto-commit mode, or the
 *       first statement of a transaction) runs again on another member, invisibly;</li>
 *   <li>otherwise inside a transaction the transaction is lost: SQLState 08006, and every call until
 *       {@code rollback()} says so, so that no partial transaction can continue elsewhere;</li>
 *   <li>at COMMIT of a read-write transaction, or for a read-write statement in auto-commit mode, whether it
 *       committed is unknown: SQLState 08007.</li>
 * </ul>
 * The logical connection stays usable: its next transaction binds to the current leader or a replica.
 *
 * <p>Not thread-safe, like any JDBC connection.
 */
final class LogicalConnection implements Connection {
    private static final Logger log = LoggerFactory.getLogger(LogicalConnection.class);

    private final Cluster cluster;
    /** The bound physical connection and its pool; volatile because {@link #abort} may come from another thread. */
    private volatile Lease lease;
    private volatile boolean closed;
    private boolean readOnly;
    private boolean autoCommit = true;
    private int isolation = -1;
    private String catalog;
    private String schema;
    private int holdability = -1;
    private Map<String, Class<?>> typeMap;
    private Properties clientInfo;
    private Executor networkTimeoutExecutor;
    private int networkTimeout = -1;
    /** Session state this connection changed on its physical connection, restored before it goes back. */
    private boolean sessionDirty;
    private Map<String, Class<?>> physicalTypeMap;
    private int physicalHoldability = -1;
    /** A statement ran since the transaction began (auto-commit off). */
    private boolean txActive;
    /** The transaction's connection failed; every call fails until rollback. */
    private String txLost;
    /**
     * {@link #unwrap} handed out the bound physical connection (or something of it, such as pgjdbc's CopyManager):
     * work done through it is invisible here, so the connection stays bound until the lease ends (close, a change of
     * the read-only flag, a failure), is never rebound behind the caller's back, and no statement counts as the first
     * of its transaction.
     */
    private boolean unwrapped;

    LogicalConnection(Cluster cluster) {
        this.cluster = cluster;
    }

    // ---- binding ---------------------------------------------------------------------------------------------

    /**
     * The bound physical connection, binding one first if needed. Between transactions a connection whose pool the
     * topology retired (its member is no longer the leader, or no longer a replica) is returned and another bound:
     * one volatile read per call. Never after {@link #unwrap}: work done through the unwrapped connection could be
     * open there, and would be rolled back silently.
     */
    Connection physical() throws SQLException {
        Lease l = lease;
        if (l != null) {
            Connection c = l.connection();
            if (c.isClosed()) {
                // HikariCP closed its proxy after a broken-connection error that did not pass through recover()
                // (creating a statement, work through unwrap()): the session is gone, and with it any transaction
                lostSession(l);
            } else if (!l.pool().isRetired() || (txActive && !autoCommit) || unwrapped) {
                return c;
            } else {
                release();
            }
        }
        return bind(null);
    }

    /** The bound session is gone: drops it; inside a transaction the transaction is lost (08006). */
    private void lostSession(Lease l) throws SQLException {
        boolean inTransaction = !autoCommit && (txActive || unwrapped);
        MemberPool failed = drop();
        if (inTransaction) {
            txActive = false;
            txLost = l.pool().member().name();
            cluster.metrics().connectionFailed(failed, null, SqlStates.TRANSACTION_LOST);
            checkNotLost();
        }
    }

    /**
     * Creating a statement on the bound physical connection failed with {@code e}. Nothing was sent for the caller:
     * outside a transaction (or before its first statement) another connection is bound and returned; inside one
     * the transaction is lost (08006); any other failure is thrown as it is.
     */
    Connection afterCreateFailed(SQLException e) throws SQLException {
        if (!Failures.isConnectionFailure(e) || lease == null) {
            throw e;
        }
        if (!autoCommit && (txActive || unwrapped)) {
            throw lostIfConnectionFailure(e);
        }
        MemberPool failed = drop();
        cluster.metrics().connectionFailed(failed, e.getSQLState(), null);
        return bind(failed);
    }

    /** The bound physical connection, or {@code null}; never binds. */
    Connection boundPhysical() {
        Lease l = lease;
        return l == null ? null : l.connection();
    }

    private Connection bind(MemberPool avoid) throws SQLException {
        checkOpen();
        checkNotLost();
        for (int attempt = 1;; attempt++) {
            Lease l = cluster.router().acquire(readOnly, avoid);
            try {
                Connection c = apply(l);
                if (log.isDebugEnabled()) {
                    log.debug("pgcluster {}: bound {} connection to {}", cluster.name(),
                            readOnly ? "read-only" : "read-write", l.pool().member().name());
                }
                lease = l;
                return c;
            } catch (SQLException e) {
                l.pool().evict(l.connection());
                // a stale pooled connection: nothing was sent for the user yet, so take another
                if (!Failures.isConnectionFailure(e) || attempt >= 3) {
                    throw e;
                }
            } catch (RuntimeException | Error e) {
                l.pool().evict(l.connection());
                throw e;
            }
        }
    }

    /** Applies this connection's state to a freshly borrowed physical connection. */
    private Connection apply(Lease l) throws SQLException {
        Connection c = l.connection();
        sessionDirty = schema != null || clientInfo != null;
        if (!autoCommit) {
            c.setAutoCommit(false);
        }
        if (readOnly == l.pool().isWrite()) {
            c.setReadOnly(readOnly);
        }
        if (isolation != -1) {
            c.setTransactionIsolation(isolation);
        }
        if (catalog != null) {
            c.setCatalog(catalog);
        }
        if (schema != null) {
            c.setSchema(schema);
        }
        if (holdability != -1) {
            physicalHoldability = c.getHoldability();
            c.setHoldability(holdability);
        }
        if (typeMap != null) {
            physicalTypeMap = c.getTypeMap();
            c.setTypeMap(typeMap);
        }
        if (clientInfo != null) {
            c.setClientInfo(clientInfo);
        }
        if (networkTimeout != -1) {
            c.setNetworkTimeout(networkTimeoutExecutor, networkTimeout);
        }
        return c;
    }

    /**
     * Returns the physical connection to its pool: rolls back what is open (a no-op without a round trip when
     * nothing is), and restores session state this connection changed (search_path, application_name, type map,
     * holdability) so that the next borrower does not inherit it; evicts the connection if that fails.
     */
    private void release() {
        Lease l = lease;
        lease = null;
        if (l == null) {
            return;
        }
        Connection p = l.connection();
        try {
            if (!autoCommit) {
                p.rollback();
            }
            if (sessionDirty) {
                try (Statement s = p.createStatement()) {
                    s.execute("RESET search_path; RESET application_name");
                }
            }
            if (physicalTypeMap != null) {
                p.setTypeMap(physicalTypeMap);
            }
            if (physicalHoldability != -1) {
                p.setHoldability(physicalHoldability);
            }
            p.close();
        } catch (SQLException | RuntimeException e) {
            // RuntimeException: HikariCP cleaning up a connection while its pool is shut down under it (a retired
            // leader's pool aborts its connections) can fail inside; the connection is gone either way
            log.debug("pgcluster {}: could not clean a physical connection; closing it: {}", cluster.name(),
                    e.toString());
            l.pool().evict(p);
        } finally {
            sessionDirty = false;
            unwrapped = false;
            physicalTypeMap = null;
            physicalHoldability = -1;
        }
    }

    /** Drops a failed physical connection (evicts it) and asks the topology source to look again. */
    private MemberPool drop() {
        Lease l = lease;
        lease = null;
        sessionDirty = false;
        unwrapped = false;
        physicalTypeMap = null;
        physicalHoldability = -1;
        if (l == null) {
            return null;
        }
        l.pool().evict(l.connection());
        cluster.view().requestRefresh();
        return l.pool();
    }

    /** The name of the member the connection is bound to, or {@code null} (for tests and logs). */
    String boundMember() {
        Lease l = lease;
        return l == null ? null : l.pool().member().name();
    }

    // ---- statement execution (called by LogicalStatement) ------------------------------------------------------

    /** Marks that a statement is about to run; returns whether it is the first of its transaction. */
    boolean beginExecute() throws SQLException {
        checkNotLost();
        boolean first = !txActive && !unwrapped;
        if (!autoCommit) {
            txActive = true;
        }
        return first;
    }

    /**
     * Handles a failed execution of {@code stmt}. Returns normally only when the statement has been moved to
     * another member and should run again; otherwise throws the error to report.
     */
    void recover(LogicalStatement<?> stmt, SQLException e, boolean first, int attempt) throws SQLException {
        if (!Failures.isConnectionFailure(e) || lease == null) {
            throw e;
        }
        MemberPool failed = drop();
        String member = failed == null ? "?" : failed.member().name();
        // Run again only where nothing can happen twice or be lost: a read-only auto-commit statement on a replica
        // (a hot standby refuses writes, while on the leader read-only is not enforced in auto-commit mode), or the
        // first statement of a transaction (the server rolled the transaction back with the connection).
        boolean safe = autoCommit ? readOnly && failed != null && !failed.isWrite() : first;
        if (safe && stmt.isReplayable() && attempt + 1 < cluster.maxStatementAttempts() && !closed) {
            cluster.metrics().connectionFailed(failed, e.getSQLState(), null);
            log.debug("pgcluster {}: statement failed on {} ({}); running it again elsewhere", cluster.name(), member,
                    e.getMessage());
            try {
                stmt.rebind(bind(failed));
            } catch (SQLException | RuntimeException x) {
                x.addSuppressed(e);
                if (!autoCommit) {
                    txActive = false;
                    txLost = member;
                }
                throw x;
            }
            if (!autoCommit) {
                txActive = true;
            }
            return;
        }
        if (!autoCommit) {
            txActive = false;
            txLost = member;
            cluster.metrics().connectionFailed(failed, e.getSQLState(), SqlStates.TRANSACTION_LOST);
            throw new SQLTransientConnectionException("pgcluster: the connection to " + member + " failed inside a "
                    + "transaction; the transaction was rolled back by the server and can be run again from the "
                    + "start (call rollback() first): " + e.getMessage(), SqlStates.TRANSACTION_LOST, e);
        }
        if (readOnly) {
            cluster.metrics().connectionFailed(failed, e.getSQLState(), SqlStates.TRANSACTION_LOST);
            throw new SQLTransientConnectionException("pgcluster: the connection to " + member + " failed during a "
                    + "read-only statement that cannot be run again automatically: " + e.getMessage(),
                    SqlStates.TRANSACTION_LOST, e);
        }
        cluster.metrics().connectionFailed(failed, e.getSQLState(), SqlStates.OUTCOME_UNKNOWN);
        throw new SQLNonTransientConnectionException("pgcluster: the connection to " + member + " failed during an "
                + "auto-commit statement; whether it took effect is unknown: " + e.getMessage(),
                SqlStates.OUTCOME_UNKNOWN, e);
    }

    private void checkNotLost() throws SQLException {
        if (txLost != null) {
            throw new SQLTransientConnectionException("pgcluster: the current transaction was lost when the "
                    + "connection to " + txLost + " failed; call rollback() and run the transaction again",
                    SqlStates.TRANSACTION_LOST);
        }
    }

    private void checkOpen() throws SQLException {
        if (closed) {
            throw new SQLNonTransientConnectionException("This connection has been closed.",
                    SqlStates.CONNECTION_CLOSED);
        }
    }

    // ---- transaction boundaries --------------------------------------------------------------------------------

    /**
     * Commits. A connection failure during COMMIT of a read-write transaction is reported as 08007 (outcome
     * unknown); of a read-only transaction, as success: it had nothing to commit.
     */
    @Override
    public void commit() throws SQLException {
        checkOpen();
        if (autoCommit) {
            throw new SQLException("Cannot commit when autoCommit is enabled.", "25P01");
        }
        if (txLost != null) {
            String member = txLost;
            txLost = null;
            txActive = false;
            throw new SQLTransientConnectionException("pgcluster: the transaction was lost when the connection to "
                    + member + " failed; nothing was committed", SqlStates.TRANSACTION_LOST);
        }
        Lease l = lease;
        boolean wrote = (txActive || unwrapped) && !readOnly;
        txActive = false;
        if (l == null) {
            return;
        }
        MemberPool pool = l.pool();
        if (wrote && pool.isWrite() && pool.isRetired()) {
            throw rolledBackBeforeCommit(l);
        }
        if (l.connection().isClosed()) {
            // HikariCP closed its proxy after a broken-connection error: COMMIT cannot be sent, the server rolled back
            drop();
            if (wrote) {
                cluster.metrics().connectionFailed(pool, null, SqlStates.TRANSACTION_LOST);
                throw new SQLTransientConnectionException("pgcluster: the connection to " + pool.member().name()
                        + " failed before COMMIT; the server rolled the transaction back, nothing was committed",
                        SqlStates.TRANSACTION_LOST);
            }
            return;
        }
        try {
            l.connection().commit(); // no round trip when nothing is open
        } catch (SQLException e) {
            if (!Failures.isConnectionFailure(e)) {
                throw e;
            }
            MemberPool failed = drop();
            String member = failed == null ? "?" : failed.member().name();
            if (readOnly) {
                cluster.metrics().connectionFailed(failed, e.getSQLState(), null);
                log.debug("pgcluster {}: connection to {} failed at COMMIT of a read-only transaction",
                        cluster.name(), member);
                return;
            }
            cluster.metrics().connectionFailed(failed, e.getSQLState(), SqlStates.OUTCOME_UNKNOWN);
            throw new SQLNonTransientConnectionException("pgcluster: the connection to " + member + " failed during "
                    + "COMMIT; whether the transaction committed is unknown: " + e.getMessage(),
                    SqlStates.OUTCOME_UNKNOWN, e);
        }
        if (wrote && pool.isWrite() && pool.isRetired()) {
            // the member lost the leader key while COMMIT ran: it committed there, but a server that lost the key may
            // be rewound, and whether the new leader has the transaction is unknown
            drop();
            cluster.metrics().connectionFailed(pool, null, SqlStates.OUTCOME_UNKNOWN);
            throw new SQLNonTransientConnectionException("pgcluster: " + pool.member().name() + " lost the leader "
                    + "key while the transaction committed; whether the new leader has it is unknown",
                    SqlStates.OUTCOME_UNKNOWN);
        }
        if (wrote) {
            cluster.metrics().writeCommitted(pool);
        }
    }

    /**
     * COMMIT of a read-write transaction whose member lost the leader key (its write pool was retired) before COMMIT
     * was sent: it is never sent to a server that may be rewound; the transaction is rolled back (or ends with the
     * connection, which is evicted), so pgcluster can say that nothing was committed: 08006.
     */
    private SQLException rolledBackBeforeCommit(Lease l) {
        MemberPool pool = l.pool();
        try {
            l.connection().rollback();
        } catch (SQLException | RuntimeException e) {
            // the pool was shut down under the connection: the server ends the transaction with the session
            log.debug("pgcluster {}: rollback on {} failed: {}", cluster.name(), pool, e.toString());
        }
        drop();
        cluster.metrics().connectionFailed(pool, null, SqlStates.TRANSACTION_LOST);
        return new SQLTransientConnectionException("pgcluster: " + pool.member().name() + " lost the leader key "
                + "before COMMIT; the transaction was rolled back there, nothing was committed; run it again on the "
                + "new leader", SqlStates.TRANSACTION_LOST);
    }

    /** Rolls back; after a connection failure there is nothing left to roll back (the server did). */
    @Override
    public void rollback() throws SQLException {
        checkOpen();
        if (autoCommit) {
            throw new SQLException("Cannot rollback when autoCommit is enabled.", "25P01");
        }
        txLost = null;
        txActive = false;
        Connection p = boundPhysical();
        if (p == null) {
            return;
        }
        if (p.isClosed()) {
            drop(); // HikariCP closed its proxy after a broken-connection error: the server rolled back
            return;
        }
        try {
            p.rollback(); // no round trip when nothing is open
        } catch (SQLException e) {
            if (!Failures.isConnectionFailure(e)) {
                throw e;
            }
            drop();
        }
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        checkOpen();
        checkNotLost();
        try {
            physical().rollback(savepoint);
        } catch (SQLException e) {
            throw lostIfConnectionFailure(e);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        Connection p = physical();
        beginExecute();
        try {
            return p.setSavepoint();
        } catch (SQLException e) {
            throw lostIfConnectionFailure(e);
        }
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        Connection p = physical();
        beginExecute();
        try {
            return p.setSavepoint(name);
        } catch (SQLException e) {
            throw lostIfConnectionFailure(e);
        }
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        checkOpen();
        checkNotLost();
        try {
            physical().releaseSavepoint(savepoint);
        } catch (SQLException e) {
            throw lostIfConnectionFailure(e);
        }
    }

    private SQLException lostIfConnectionFailure(SQLException e) {
        if (!Failures.isConnectionFailure(e) || lease == null) {
            return e;
        }
        MemberPool failed = drop();
        String member = failed == null ? "?" : failed.member().name();
        if (autoCommit) {
            cluster.metrics().connectionFailed(failed, e.getSQLState(), null);
            return e;
        }
        cluster.metrics().connectionFailed(failed, e.getSQLState(), SqlStates.TRANSACTION_LOST);
        txActive = false;
        txLost = member;
        return new SQLTransientConnectionException("pgcluster: the connection to " + member + " failed inside a "
                + "transaction; the transaction was rolled back by the server", SqlStates.TRANSACTION_LOST, e);
    }

    // ---- state -------------------------------------------------------------------------------------------------

    @Override
    public void setAutoCommit(boolean value) throws SQLException {
        checkOpen();
        if (value == autoCommit) {
            return;
        }
        if (value && (txActive || txLost != null)) {
            commit(); // JDBC: switching auto-commit on commits the transaction
        }
        autoCommit = value;
        Connection p = boundPhysical();
        if (p != null) {
            try {
                p.setAutoCommit(value);
            } catch (SQLException e) {
                if (!Failures.isConnectionFailure(e)) {
                    throw e;
                }
                drop(); // bind applies it to the next physical connection
            }
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        checkOpen();
        return autoCommit;
    }

    /**
     * Sets the routing flag: read-only work goes to a replica, read-write work to the leader. Changing it between
     * transactions returns the bound physical connection so that the next statement binds to the right member;
     * changing it inside a transaction fails with SQLState 25001, as in pgjdbc.
     */
    @Override
    public void setReadOnly(boolean value) throws SQLException {
        checkOpen();
        if (value == readOnly) {
            return;
        }
        if (!autoCommit && txActive) {
            throw new SQLException("Cannot change transaction read-only property in the middle of a transaction.",
                    SqlStates.ACTIVE_TRANSACTION);
        }
        readOnly = value;
        release();
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        checkOpen();
        return readOnly;
    }

    @Override
    public void setTransactionIsolation(int level) throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            p.setTransactionIsolation(level);
        }
        isolation = level;
    }

    @Override
    public int getTransactionIsolation() throws SQLException {
        checkOpen();
        return isolation != -1 ? isolation : physical().getTransactionIsolation();
    }

    @Override
    public void setCatalog(String value) throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            p.setCatalog(value);
        }
        catalog = value;
    }

    @Override
    public String getCatalog() throws SQLException {
        checkOpen();
        return catalog != null ? catalog : physical().getCatalog();
    }

    @Override
    public void setSchema(String value) throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            p.setSchema(value);
            sessionDirty = true;
        }
        schema = value;
    }

    @Override
    public String getSchema() throws SQLException {
        checkOpen();
        return schema != null ? schema : physical().getSchema();
    }

    @Override
    public void setHoldability(int value) throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            if (physicalHoldability == -1) {
                physicalHoldability = p.getHoldability();
            }
            p.setHoldability(value);
        }
        holdability = value;
    }

    @Override
    public int getHoldability() throws SQLException {
        checkOpen();
        return holdability != -1 ? holdability : physical().getHoldability();
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            if (physicalTypeMap == null) {
                physicalTypeMap = p.getTypeMap();
            }
            p.setTypeMap(map);
        }
        typeMap = map;
    }

    @Override
    public Map<String, Class<?>> getTypeMap() throws SQLException {
        checkOpen();
        return typeMap != null ? typeMap : physical().getTypeMap();
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        if (clientInfo == null) {
            clientInfo = new Properties();
        }
        if (value == null) {
            clientInfo.remove(name);
        } else {
            clientInfo.setProperty(name, value);
        }
        Connection p = boundPhysical();
        if (p != null) {
            p.setClientInfo(name, value);
            sessionDirty = true;
        }
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        if (closed) {
            Map<String, ClientInfoStatus> failed = new HashMap<>();
            properties.stringPropertyNames().forEach(k -> failed.put(k, ClientInfoStatus.REASON_UNKNOWN));
            throw new SQLClientInfoException("This connection has been closed.", failed);
        }
        clientInfo = new Properties();
        clientInfo.putAll(properties);
        Connection p = boundPhysical();
        if (p != null) {
            p.setClientInfo(properties);
            sessionDirty = true;
        }
    }

    @Override
    public String getClientInfo(String name) throws SQLException {
        checkOpen();
        return physical().getClientInfo(name);
    }

    @Override
    public Properties getClientInfo() throws SQLException {
        checkOpen();
        return physical().getClientInfo();
    }

    @Override
    public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            p.setNetworkTimeout(executor, milliseconds);
        }
        networkTimeoutExecutor = executor;
        networkTimeout = milliseconds;
    }

    @Override
    public int getNetworkTimeout() throws SQLException {
        checkOpen();
        return networkTimeout != -1 ? networkTimeout : physical().getNetworkTimeout();
    }

    // ---- statements --------------------------------------------------------------------------------------------

    @Override
    public Statement createStatement() throws SQLException {
        checkOpen();
        return new LogicalStatement<Statement>(this, Connection::createStatement);
    }

    @Override
    public Statement createStatement(int type, int concurrency) throws SQLException {
        checkOpen();
        return new LogicalStatement<Statement>(this, c -> c.createStatement(type, concurrency));
    }

    @Override
    public Statement createStatement(int type, int concurrency, int holdability) throws SQLException {
        checkOpen();
        return new LogicalStatement<Statement>(this, c -> c.createStatement(type, concurrency, holdability));
    }

    @Override
    public PreparedStatement prepareStatement(String sql) throws SQLException {
        checkOpen();
        return new LogicalPreparedStatement<PreparedStatement>(this, c -> c.prepareStatement(sql));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int type, int concurrency) throws SQLException {
        checkOpen();
        return new LogicalPreparedStatement<PreparedStatement>(this, c -> c.prepareStatement(sql, type, concurrency));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int type, int concurrency, int holdability)
            throws SQLException {
        checkOpen();
        return new LogicalPreparedStatement<PreparedStatement>(this,
                c -> c.prepareStatement(sql, type, concurrency, holdability));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) throws SQLException {
        checkOpen();
        return new LogicalPreparedStatement<PreparedStatement>(this, c -> c.prepareStatement(sql, autoGeneratedKeys));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
        checkOpen();
        return new LogicalPreparedStatement<PreparedStatement>(this, c -> c.prepareStatement(sql, columnIndexes));
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] columnNames) throws SQLException {
        checkOpen();
        return new LogicalPreparedStatement<PreparedStatement>(this, c -> c.prepareStatement(sql, columnNames));
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
        checkOpen();
        return new LogicalCallableStatement(this, c -> c.prepareCall(sql));
    }

    @Override
    public CallableStatement prepareCall(String sql, int type, int concurrency) throws SQLException {
        checkOpen();
        return new LogicalCallableStatement(this, c -> c.prepareCall(sql, type, concurrency));
    }

    @Override
    public CallableStatement prepareCall(String sql, int type, int concurrency, int holdability)
            throws SQLException {
        checkOpen();
        return new LogicalCallableStatement(this, c -> c.prepareCall(sql, type, concurrency, holdability));
    }

    @Override
    public String nativeSQL(String sql) throws SQLException {
        checkOpen();
        return physical().nativeSQL(sql);
    }

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        checkOpen();
        physical();
        // Each call asks the physical connection bound at that moment (pgjdbc caches its metadata object), so that
        // metadata never runs on a connection this one has since returned to the pool.
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("getConnection") && method.getParameterCount() == 0) {
                return this;
            }
            try {
                return method.invoke(physical().getMetaData(), args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (DatabaseMetaData) Proxy.newProxyInstance(DatabaseMetaData.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, h);
    }

    // ---- factories of SQL values -------------------------------------------------------------------------------

    @Override
    public Clob createClob() throws SQLException {
        return physical().createClob();
    }

    @Override
    public Blob createBlob() throws SQLException {
        return physical().createBlob();
    }

    @Override
    public NClob createNClob() throws SQLException {
        return physical().createNClob();
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
        return physical().createSQLXML();
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
        return physical().createArrayOf(typeName, elements);
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
        return physical().createStruct(typeName, attributes);
    }

    // ---- life cycle --------------------------------------------------------------------------------------------

    /**
     * Whether the connection can be used: true until closed. A logical connection heals itself (it rebinds after
     * a failure), so an outer pool has no reason to discard it; a bound physical connection that is not valid is
     * dropped here so that the next use binds afresh.
     */
    @Override
    public boolean isValid(int timeoutSeconds) throws SQLException {
        if (timeoutSeconds < 0) {
            throw new SQLException("timeout must not be negative", SqlStates.INVALID_PARAMETER);
        }
        if (closed) {
            return false;
        }
        Connection p = boundPhysical();
        if (p != null && ((!autoCommit && txActive) || unwrapped)) {
            return p.isValid(timeoutSeconds);
        }
        if (p != null && !p.isValid(timeoutSeconds)) {
            drop(); // the next use binds afresh
        }
        return true;
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        return p == null ? null : p.getWarnings();
    }

    @Override
    public void clearWarnings() throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            p.clearWarnings();
        }
    }

    /** Returns the physical connection to its pool (rolling back an open transaction) and closes this one. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        if (executor == null) {
            throw new SQLException("executor must not be null", SqlStates.INVALID_PARAMETER);
        }
        if (closed) {
            return;
        }
        closed = true;
        unwrapped = false;
        Lease l = lease;
        lease = null;
        if (l != null) {
            l.connection().abort(executor);
            l.pool().evict(l.connection());
        }
    }

    /**
     * This connection, or what the bound physical connection unwraps to (pgjdbc's {@code PGConnection} for its
     * CopyManager and large objects). Work done through an unwrapped object is invisible to pgcluster, so from then
     * on the physical connection stays bound until this connection is closed, its read-only flag changes or its
     * connection fails; inside a transaction the transaction counts as open and written. Objects obtained here
     * belong to that physical connection: do not use them after those events.
     */
    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        T inner = physical().unwrap(iface);
        markUnwrapped();
        return inner;
    }

    /** Something of the bound physical connection was handed out (see {@link #unwrap}). */
    void markUnwrapped() {
        unwrapped = true;
        if (!autoCommit) {
            txActive = true;
        }
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || physical().isWrapperFor(iface);
    }

    @Override
    public String toString() {
        Lease l = lease;
        return "pgcluster connection [" + cluster.name() + (readOnly ? ", read-only" : ", read-write")
                + (l == null ? ", unbound" : ", on " + l.pool().member().name()) + (closed ? ", closed" : "") + "]";
    }
}
