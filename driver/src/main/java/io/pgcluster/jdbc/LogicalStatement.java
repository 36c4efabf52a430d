package io.pgcluster.jdbc;

import io.pgcluster.jdbc.internal.failover.Failures;
import io.pgcluster.jdbc.internal.failover.FailurePolicy;
import io.pgcluster.jdbc.failover.SqlStates;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A statement of a {@link LogicalConnection}: it delegates to a physical statement and, when the physical
 * connection fails or is replaced, lets the logical connection decide whether the execution is run again on
 * another member (re-creating the physical statement with the same SQL, settings and parameters).
 *
 * <p>Every execute method of {@code Statement}, {@code PreparedStatement} and {@code CallableStatement} ends in
 * {@link #run}, the one place where a statement executes; the methods themselves, and those that merely forward,
 * are generated ({@link StatementWrapper}).
 *
 * <p>{@link #getConnection()} returns the logical connection. Not thread-safe, like any JDBC statement.
 *
 * @param <S> the physical statement type
 */
class LogicalStatement<S extends Statement> extends StatementWrapper<S> {

    /**
     * Creates the physical statement on a physical connection, for the forms with more arguments than the SQL
     * (result set type, generated keys, ...); the usual form of each kind is {@link #createUsual}. The SQL is passed
     * in, so that the lambda captures only those arguments.
     */
    @FunctionalInterface
    interface Factory<S> {
        S create(Connection physical, String sql) throws SQLException;
    }

    final LogicalConnection conn;
    /** The statement's SQL ({@code null} for a plain statement). */
    private final String sql;
    /**
     * The physical connection {@link #delegate} was created on; {@code null} once this statement is closed. One
     * field for both, so that with the three others a statement is 32 bytes (12-byte header, 5 references): one
     * allocation per statement on every transaction's path.
     */
    private Connection owner;
    /**
     * Settings (and a prepared statement's parameters, a pending batch, an unusual way of creating it) given,
     * re-applied when the statement is re-created elsewhere; made at the first need ({@link ParamLog}).
     */
    ParamLog log;

    /**
     * @param factory how to create the physical statement, or {@code null} for the usual form of its kind
     *     ({@link #createUsual})
     */
    LogicalStatement(LogicalConnection conn, String sql, Factory<S> factory) throws SQLException {
        this.conn = conn;
        this.sql = sql;
        if (factory != null) {
            log().factory = factory;
        }
        Connection p = conn.physicalFor(sql, !(this instanceof CallableStatement));
        S d;
        try {
            d = create(p);
        } catch (SQLException e) {
            p = conn.afterCreateFailed(e); // a session found broken here: bind another, or the transaction is lost
            d = create(p);
        }
        this.delegate = d;
        this.owner = p;
    }

    /** Creates the physical statement on {@code physical}, the way this one was created. */
    @SuppressWarnings("unchecked")
    private S create(Connection physical) throws SQLException {
        Factory<?> f = log == null ? null : log.factory;
        return f != null ? (S) f.create(physical, sql) : createUsual(physical, sql);
    }

    /**
     * The usual form of this kind of statement, which needs nothing but the SQL: {@code createStatement()} here,
     * {@code prepareStatement(sql)} and {@code prepareCall(sql)} in the subclasses. Called from the constructor.
     */
    @SuppressWarnings("unchecked")
    S createUsual(Connection physical, String sql) throws SQLException {
        return (S) physical.createStatement();
    }

    /**
     * The one place where a statement executes: binds the logical connection (moving this statement to its current
     * physical connection if that changed), runs execute method {@code op}, and hands a failure to the logical
     * connection, which either moves the statement to another member (the loop runs it again) or throws what the
     * caller must see (see {@link FailurePolicy}). One deadline, taken here, bounds every wait for a connection.
     *
     * @return the execute method's result, returned rather than kept in a field so that it does not escape
     */
    @Override
    final Object run(int op, String sql, int n, Object columns) throws SQLException {
        long deadlineNanos = conn.deadline();
        checkOpen();
        // batches and calls never go to a replica (autoCommitReads=replica): a call may write whatever its text
        String text = sql != null ? sql : this.sql;
        boolean mayRead = !isBatch(op) && !(this instanceof CallableStatement);
        Connection p = conn.physicalFor(text, mayRead, deadlineNanos);
        if (p != owner) {
            rebind(p);
        }
        boolean first = conn.beginStatement();
        for (int attempt = 0;; attempt++) {
            try {
                if (first) {
                    conn.beginTransaction(); // on the member this attempt runs on: a replay begins anew there
                }
                Object result = call(op, sql, n, columns);
                conn.afterStatement(text); // read-your-writes
                if (isBatch(op)) {
                    batchDone();
                }
                return result;
            } catch (SQLException e) {
                try {
                    conn.recover(this, e, first, attempt, deadlineNanos, text, mayRead); // returns only to run it again
                } finally {
                    if (isBatch(op)) {
                        batchDone(); // the driver has cleared the batch; a batch is never run again
                    }
                }
            }
        }
    }

    /** The recorded settings and parameters, made at the first use. */
    final ParamLog log() {
        if (log == null) {
            log = new ParamLog();
        }
        return log;
    }

    /** Whether the physical statement belongs to the physical connection bound now (setters go straight to it). */
    final boolean isCurrent() {
        Connection o = owner;
        return o != null && o == conn.boundPhysical();
    }

    /** No batch is pending any more (run, failed or cleared). */
    private void batchDone() {
        if (log != null) {
            log.batched = false;
        }
    }

    /**
     * Moves this statement to the connection's current physical connection, if that changed (with
     * {@code autoCommitReads=replica}, to the one its SQL would run on).
     */
    final void ensureCurrent() throws SQLException {
        ensureCurrent(!(this instanceof CallableStatement));
    }

    private void ensureCurrent(boolean mayRead) throws SQLException {
        checkOpen();
        Connection p = conn.physicalFor(sql, mayRead);
        if (p != owner) {
            rebind(p);
        }
    }

    /** Whether this statement can be re-created elsewhere with the same effect. */
    boolean isReplayable() {
        return log == null || !log.batched;
    }

    /** Re-applies parameters to a re-created physical statement. */
    void replay(S s) throws SQLException {
    }

    @Override
    final void setting(int op, long bits, Object value) throws SQLException {
        checkOpen();
        log().setting(op, bits, value);
        if (isCurrent()) {
            applySetting(delegate, op, bits, value);
        }
    }

    /** Re-creates this statement on {@code physical}, with the same SQL, settings and parameters. */
    final void rebind(Connection physical) throws SQLException {
        if (!isReplayable()) {
            throw FailurePolicy.cannotRecreate();
        }
        S s = create(physical);
        if (log != null) {
            log.applySettings(s);
        }
        replay(s);
        S old = delegate;
        delegate = s;
        owner = physical;
        try {
            old.close();
        } catch (SQLException ignored) {
            // the old physical connection is gone; its statement with it
        }
    }

    final void checkOpen() throws SQLException {
        if (owner == null) {
            throw new SQLException("This statement has been closed.", SqlStates.OBJECT_NOT_IN_STATE);
        }
    }

    @Override
    public void close() throws SQLException {
        if (owner == null) {
            return;
        }
        owner = null;
        try {
            delegate.close();
        } catch (SQLException e) {
            if (!Failures.isConnectionFailure(e)) {
                throw e;
            }
        }
    }

    @Override
    public boolean isClosed() throws SQLException {
        return owner == null || conn.isClosed();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        T inner = delegate.unwrap(iface);
        conn.markUnwrapped(); // work through it is invisible here: keep the physical connection bound
        return inner;
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }

    @Override
    public void addBatch(String sql) throws SQLException {
        ensureCurrent(false); // a batch runs on the leader: bind it there before it can no longer move
        delegate.addBatch(sql);
        log().batched = true;
    }

    @Override
    public void clearBatch() throws SQLException {
        if (isCurrent()) {
            delegate.clearBatch();
        }
        batchDone();
    }

    @Override
    public Connection getConnection() throws SQLException {
        checkOpen();
        return conn;
    }
}
