package io.pgcluster.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A prepared statement of a {@link LogicalConnection}; it records parameters so that an execution can be run
 * again on another member after a connection failure (see {@link LogicalStatement}). Parameters given as streams,
 * LOBs or arrays cannot be replayed; such a statement is not re-run. Every setter comes here through
 * {@link #param}; the setters themselves are generated ({@link PreparedStatementWrapper}).
 *
 * @param <S> the physical statement type
 */
class LogicalPreparedStatement<S extends PreparedStatement> extends PreparedStatementWrapper<S> {
    LogicalPreparedStatement(LogicalConnection conn, String sql, Factory<S> factory) throws SQLException {
        super(conn, sql, factory);
    }

    @Override
    @SuppressWarnings("unchecked")
    S createUsual(Connection physical, String sql) throws SQLException {
        return (S) physical.prepareStatement(sql);
    }

    @Override
    boolean isReplayable() {
        return super.isReplayable() && (log == null || log.isReplayable());
    }

    @Override
    void replay(S s) throws SQLException {
        if (log != null) {
            log.replay(s);
        }
    }

    /**
     * Every parameter setter. A value that can be given again is recorded, and set at once only if the physical
     * statement is current (else the next execution re-creates it with the recorded values); one that cannot (a
     * stream, a LOB) binds the statement first and marks it as not to be run again.
     */
    @Override
    final void param(int op, int index, long bits, Object value, Object extra, int a, int b) throws SQLException {
        checkOpen(); // a closed statement is no longer current: without it the value would be recorded silently
        if (isReplayable(op, value)) {
            log().put(index, op, bits, value, extra, a, b);
            if (isCurrent()) {
                applyParam(delegate, op, index, bits, value, extra, a, b);
            }
            return;
        }
        ensureCurrent();
        applyParam(delegate, op, index, bits, value, extra, a, b);
        log().unreplayable();
    }

    /** Records a copy: the caller may reuse its array before a replay. */
    @Override
    public void setBytes(int index, byte[] value) throws SQLException {
        checkOpen();
        log().put(index, SET_BYTES__INT_BYTE_S, 0, value == null ? null : value.clone(), null, 0, 0);
        if (isCurrent()) {
            delegate.setBytes(index, value);
        }
    }

    @Override
    public void addBatch() throws SQLException {
        ensureCurrent();
        delegate.addBatch();
        log().batched = true;
    }

    @Override
    public void clearParameters() throws SQLException {
        if (log != null) {
            log.clear();
        }
        if (isCurrent()) {
            delegate.clearParameters();
        }
    }
}
