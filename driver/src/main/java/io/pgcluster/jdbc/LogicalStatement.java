package io.pgcluster.jdbc;

import io.pgcluster.jdbc.failover.Failures;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.CallableStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLType;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Map;

/**
 * A statement of a {@link LogicalConnection}: it delegates to a physical statement and, when the physical
 * connection fails or is replaced, lets the logical connection decide whether the execution is run again on
 * another member (re-creating the physical statement with the same SQL, settings and parameters).
 *
 * <p>{@link #getConnection()} returns the logical connection. Not thread-safe, like any JDBC statement.
 *
 * @param <S> the physical statement type
 */
class LogicalStatement<S extends Statement> implements Statement {

    /** Creates the physical statement on a physical connection. */
    @FunctionalInterface
    interface Factory<S> {
        S create(Connection physical) throws SQLException;
    }

    final LogicalConnection conn;
    private final Factory<S> factory;
    S delegate;
    private Connection owner;
    private boolean closed;
    boolean batched;
    // Settings, re-applied when the statement is re-created on another physical connection.
    private String cursorName;
    private Boolean escapeProcessing;
    private int fetchDirection = -1;
    private int fetchSize = -1;
    private int maxRows = -1;
    private long largeMaxRows = -1;
    private int maxFieldSize = -1;
    private Boolean poolable;
    private int queryTimeout = -1;
    private boolean closeOnCompletion;

    LogicalStatement(LogicalConnection conn, Factory<S> factory) throws SQLException {
        this.conn = conn;
        this.factory = factory;
        Connection p = conn.physical();
        S d;
        try {
            d = factory.create(p);
        } catch (SQLException e) {
            p = conn.afterCreateFailed(e); // a session found broken here: bind another, or the transaction is lost
            d = factory.create(p);
        }
        this.delegate = d;
        this.owner = p;
    }

    /**
     * Prepares an execution: binds the logical connection, moves this statement to its current physical
     * connection if that changed, and marks the transaction as started.
     *
     * @return whether this is the first statement of its transaction (nothing before it can be lost)
     */
    final boolean begin() throws SQLException {
        ensureCurrent();
        return conn.beginExecute();
    }

    /** Whether the physical statement belongs to the physical connection bound now (setters go straight to it). */
    final boolean isCurrent() {
        return owner == conn.boundPhysical();
    }

    /** Moves this statement to the connection's current physical connection, if that changed. */
    final void ensureCurrent() throws SQLException {
        checkOpen();
        Connection p = conn.physical();
        if (p != owner) {
            rebind(p);
        }
    }

    /** Hands a failure to the logical connection; returns only when the execution should be run again. */
    final void recover(SQLException e, boolean first, int attempt) throws SQLException {
        conn.recover(this, e, first, attempt);
    }

    /** Whether this statement can be re-created elsewhere with the same effect. */
    boolean isReplayable() {
        return !batched;
    }

    /** Re-applies parameters to a re-created physical statement. */
    void replay(S s) throws SQLException {
    }

    /** Re-creates this statement on {@code physical}, with the same SQL, settings and parameters. */
    final void rebind(Connection physical) throws SQLException {
        if (!isReplayable()) {
            throw new SQLNonTransientConnectionException("pgcluster: this statement belonged to a physical "
                    + "connection that failed or was replaced, and cannot be re-created (batch, stream or callable "
                    + "parameters); create the statement again", "08003");
        }
        S s = factory.create(physical);
        if (cursorName != null) {
            s.setCursorName(cursorName);
        }
        if (escapeProcessing != null) {
            s.setEscapeProcessing(escapeProcessing);
        }
        if (fetchDirection != -1) {
            s.setFetchDirection(fetchDirection);
        }
        if (fetchSize != -1) {
            s.setFetchSize(fetchSize);
        }
        if (maxRows != -1) {
            s.setMaxRows(maxRows);
        }
        if (largeMaxRows != -1) {
            s.setLargeMaxRows(largeMaxRows);
        }
        if (maxFieldSize != -1) {
            s.setMaxFieldSize(maxFieldSize);
        }
        if (poolable != null) {
            s.setPoolable(poolable);
        }
        if (queryTimeout != -1) {
            s.setQueryTimeout(queryTimeout);
        }
        if (closeOnCompletion) {
            s.closeOnCompletion();
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
        if (closed) {
            throw new SQLException("This statement has been closed.", "55000");
        }
    }

    @Override
    public void close() throws SQLException {
        if (closed) {
            return;
        }
        closed = true;
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
        return closed || conn.isClosed();
    }

    @Override
    public void closeOnCompletion() throws SQLException {
        checkOpen();
        closeOnCompletion = true;
        if (isCurrent()) {
            delegate.closeOnCompletion();
        }
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
        ensureCurrent();
        delegate.addBatch(sql);
        batched = true;
    }

    @Override
    public void cancel() throws SQLException {
        delegate.cancel();
    }

    @Override
    public void clearBatch() throws SQLException {
        if (isCurrent()) {
            delegate.clearBatch();
        }
        batched = false;
    }

    @Override
    public void clearWarnings() throws SQLException {
        delegate.clearWarnings();
    }

    @Override
    public String enquoteIdentifier(String sql, boolean a1) throws SQLException {
        return delegate.enquoteIdentifier(sql, a1);
    }

    @Override
    public String enquoteLiteral(String sql) throws SQLException {
        return delegate.enquoteLiteral(sql);
    }

    @Override
    public String enquoteNCharLiteral(String sql) throws SQLException {
        return delegate.enquoteNCharLiteral(sql);
    }

    @Override
    public boolean execute(String sql, int[] a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.execute(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public boolean execute(String sql, String[] a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.execute(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public boolean execute(String sql, int a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.execute(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public boolean execute(String sql) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.execute(sql);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public int[] executeBatch() throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                int[] result = delegate.executeBatch();
                batched = false;
                return result;
            } catch (SQLException e) {
                try {
                    recover(e, first, attempt); // a batch is never run again: this throws
                } finally {
                    batched = false; // the driver has cleared the batch
                }
            }
        }
    }

    @Override
    public long[] executeLargeBatch() throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                long[] result = delegate.executeLargeBatch();
                batched = false;
                return result;
            } catch (SQLException e) {
                try {
                    recover(e, first, attempt); // a batch is never run again: this throws
                } finally {
                    batched = false; // the driver has cleared the batch
                }
            }
        }
    }

    @Override
    public long executeLargeUpdate(String sql, int[] a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeLargeUpdate(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public long executeLargeUpdate(String sql, String[] a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeLargeUpdate(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public long executeLargeUpdate(String sql, int a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeLargeUpdate(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public long executeLargeUpdate(String sql) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeLargeUpdate(sql);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public ResultSet executeQuery(String sql) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeQuery(sql);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public int executeUpdate(String sql, int[] a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeUpdate(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public int executeUpdate(String sql, String[] a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeUpdate(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public int executeUpdate(String sql, int a1) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeUpdate(sql, a1);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public int executeUpdate(String sql) throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeUpdate(sql);
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        checkOpen();
        return conn;
    }

    @Override
    public int getFetchDirection() throws SQLException {
        return delegate.getFetchDirection();
    }

    @Override
    public int getFetchSize() throws SQLException {
        return delegate.getFetchSize();
    }

    @Override
    public ResultSet getGeneratedKeys() throws SQLException {
        return delegate.getGeneratedKeys();
    }

    @Override
    public long getLargeMaxRows() throws SQLException {
        return delegate.getLargeMaxRows();
    }

    @Override
    public long getLargeUpdateCount() throws SQLException {
        return delegate.getLargeUpdateCount();
    }

    @Override
    public int getMaxFieldSize() throws SQLException {
        return delegate.getMaxFieldSize();
    }

    @Override
    public int getMaxRows() throws SQLException {
        return delegate.getMaxRows();
    }

    @Override
    public boolean getMoreResults() throws SQLException {
        return delegate.getMoreResults();
    }

    @Override
    public boolean getMoreResults(int index) throws SQLException {
        return delegate.getMoreResults(index);
    }

    @Override
    public int getQueryTimeout() throws SQLException {
        return delegate.getQueryTimeout();
    }

    @Override
    public ResultSet getResultSet() throws SQLException {
        return delegate.getResultSet();
    }

    @Override
    public int getResultSetConcurrency() throws SQLException {
        return delegate.getResultSetConcurrency();
    }

    @Override
    public int getResultSetHoldability() throws SQLException {
        return delegate.getResultSetHoldability();
    }

    @Override
    public int getResultSetType() throws SQLException {
        return delegate.getResultSetType();
    }

    @Override
    public int getUpdateCount() throws SQLException {
        return delegate.getUpdateCount();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return delegate.getWarnings();
    }

    @Override
    public boolean isCloseOnCompletion() throws SQLException {
        return delegate.isCloseOnCompletion();
    }

    @Override
    public boolean isPoolable() throws SQLException {
        return delegate.isPoolable();
    }

    @Override
    public boolean isSimpleIdentifier(String sql) throws SQLException {
        return delegate.isSimpleIdentifier(sql);
    }

    @Override
    public void setCursorName(String value) throws SQLException {
        checkOpen();
        cursorName = value;
        if (isCurrent()) {
            delegate.setCursorName(value);
        }
    }

    @Override
    public void setEscapeProcessing(boolean value) throws SQLException {
        checkOpen();
        escapeProcessing = value;
        if (isCurrent()) {
            delegate.setEscapeProcessing(value);
        }
    }

    @Override
    public void setFetchDirection(int value) throws SQLException {
        checkOpen();
        fetchDirection = value;
        if (isCurrent()) {
            delegate.setFetchDirection(value);
        }
    }

    @Override
    public void setFetchSize(int value) throws SQLException {
        checkOpen();
        fetchSize = value;
        if (isCurrent()) {
            delegate.setFetchSize(value);
        }
    }

    @Override
    public void setLargeMaxRows(long value) throws SQLException {
        checkOpen();
        largeMaxRows = value;
        if (isCurrent()) {
            delegate.setLargeMaxRows(value);
        }
    }

    @Override
    public void setMaxFieldSize(int value) throws SQLException {
        checkOpen();
        maxFieldSize = value;
        if (isCurrent()) {
            delegate.setMaxFieldSize(value);
        }
    }

    @Override
    public void setMaxRows(int value) throws SQLException {
        checkOpen();
        maxRows = value;
        if (isCurrent()) {
            delegate.setMaxRows(value);
        }
    }

    @Override
    public void setPoolable(boolean value) throws SQLException {
        checkOpen();
        poolable = value;
        if (isCurrent()) {
            delegate.setPoolable(value);
        }
    }

    @Override
    public void setQueryTimeout(int value) throws SQLException {
        checkOpen();
        queryTimeout = value;
        if (isCurrent()) {
            delegate.setQueryTimeout(value);
        }
    }
}
