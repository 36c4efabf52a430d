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
 * A prepared statement of a {@link LogicalConnection}; it records parameters so that an execution can be run
 * again on another member after a connection failure (see {@link LogicalStatement}). Parameters given as streams,
 * LOBs or arrays cannot be replayed; such a statement is not re-run.
 *
 * @param <S> the physical statement type
 */
class LogicalPreparedStatement<S extends PreparedStatement> extends LogicalStatement<S> implements PreparedStatement {
    final ParamLog params = new ParamLog();

    LogicalPreparedStatement(LogicalConnection conn, Factory<S> factory) throws SQLException {
        super(conn, factory);
    }

    @Override
    boolean isReplayable() {
        return super.isReplayable() && params.isReplayable();
    }

    @Override
    void replay(S s) throws SQLException {
        params.replay(s);
    }

    @Override
    public void addBatch() throws SQLException {
        ensureCurrent();
        delegate.addBatch();
        batched = true;
    }

    @Override
    public void clearParameters() throws SQLException {
        params.clear();
        if (isCurrent()) {
            delegate.clearParameters();
        }
    }

    @Override
    public boolean execute() throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.execute();
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public long executeLargeUpdate() throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeLargeUpdate();
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public ResultSet executeQuery() throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeQuery();
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public int executeUpdate() throws SQLException {
        boolean first = begin();
        for (int attempt = 0;; attempt++) {
            try {
                return delegate.executeUpdate();
            } catch (SQLException e) {
                recover(e, first, attempt);
            }
        }
    }

    @Override
    public ResultSetMetaData getMetaData() throws SQLException {
        return delegate.getMetaData();
    }

    @Override
    public ParameterMetaData getParameterMetaData() throws SQLException {
        return delegate.getParameterMetaData();
    }

    @Override
    public void setArray(int index, Array value) throws SQLException {
        ensureCurrent();
        delegate.setArray(index, value);
        params.unreplayable();
    }

    @Override
    public void setAsciiStream(int index, InputStream value, int a2) throws SQLException {
        ensureCurrent();
        delegate.setAsciiStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setAsciiStream(int index, InputStream value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setAsciiStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setAsciiStream(int index, InputStream value) throws SQLException {
        ensureCurrent();
        delegate.setAsciiStream(index, value);
        params.unreplayable();
    }

    @Override
    public void setBigDecimal(int index, BigDecimal value) throws SQLException {
        params.put(index, s -> s.setBigDecimal(index, value));
        if (isCurrent()) {
            delegate.setBigDecimal(index, value);
        }
    }

    @Override
    public void setBinaryStream(int index, InputStream value, int a2) throws SQLException {
        ensureCurrent();
        delegate.setBinaryStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setBinaryStream(int index, InputStream value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setBinaryStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setBinaryStream(int index, InputStream value) throws SQLException {
        ensureCurrent();
        delegate.setBinaryStream(index, value);
        params.unreplayable();
    }

    @Override
    public void setBlob(int index, InputStream value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setBlob(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setBlob(int index, InputStream value) throws SQLException {
        ensureCurrent();
        delegate.setBlob(index, value);
        params.unreplayable();
    }

    @Override
    public void setBlob(int index, Blob value) throws SQLException {
        ensureCurrent();
        delegate.setBlob(index, value);
        params.unreplayable();
    }

    @Override
    public void setBoolean(int index, boolean value) throws SQLException {
        params.put(index, s -> s.setBoolean(index, value));
        if (isCurrent()) {
            delegate.setBoolean(index, value);
        }
    }

    @Override
    public void setByte(int index, byte value) throws SQLException {
        params.put(index, s -> s.setByte(index, value));
        if (isCurrent()) {
            delegate.setByte(index, value);
        }
    }

    @Override
    public void setBytes(int index, byte[] value) throws SQLException {
        byte[] copy = value == null ? null : value.clone();
        params.put(index, s -> s.setBytes(index, copy));
        if (isCurrent()) {
            delegate.setBytes(index, value);
        }
    }

    @Override
    public void setCharacterStream(int index, Reader value, int a2) throws SQLException {
        ensureCurrent();
        delegate.setCharacterStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setCharacterStream(int index, Reader value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setCharacterStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setCharacterStream(int index, Reader value) throws SQLException {
        ensureCurrent();
        delegate.setCharacterStream(index, value);
        params.unreplayable();
    }

    @Override
    public void setClob(int index, Reader value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setClob(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setClob(int index, Reader value) throws SQLException {
        ensureCurrent();
        delegate.setClob(index, value);
        params.unreplayable();
    }

    @Override
    public void setClob(int index, Clob value) throws SQLException {
        ensureCurrent();
        delegate.setClob(index, value);
        params.unreplayable();
    }

    @Override
    public void setDate(int index, Date value, Calendar a2) throws SQLException {
        params.put(index, s -> s.setDate(index, value, a2));
        if (isCurrent()) {
            delegate.setDate(index, value, a2);
        }
    }

    @Override
    public void setDate(int index, Date value) throws SQLException {
        params.put(index, s -> s.setDate(index, value));
        if (isCurrent()) {
            delegate.setDate(index, value);
        }
    }

    @Override
    public void setDouble(int index, double value) throws SQLException {
        params.put(index, s -> s.setDouble(index, value));
        if (isCurrent()) {
            delegate.setDouble(index, value);
        }
    }

    @Override
    public void setFloat(int index, float value) throws SQLException {
        params.put(index, s -> s.setFloat(index, value));
        if (isCurrent()) {
            delegate.setFloat(index, value);
        }
    }

    @Override
    public void setInt(int index, int value) throws SQLException {
        params.put(index, s -> s.setInt(index, value));
        if (isCurrent()) {
            delegate.setInt(index, value);
        }
    }

    @Override
    public void setLong(int index, long value) throws SQLException {
        params.put(index, s -> s.setLong(index, value));
        if (isCurrent()) {
            delegate.setLong(index, value);
        }
    }

    @Override
    public void setNCharacterStream(int index, Reader value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setNCharacterStream(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setNCharacterStream(int index, Reader value) throws SQLException {
        ensureCurrent();
        delegate.setNCharacterStream(index, value);
        params.unreplayable();
    }

    @Override
    public void setNClob(int index, Reader value, long a2) throws SQLException {
        ensureCurrent();
        delegate.setNClob(index, value, a2);
        params.unreplayable();
    }

    @Override
    public void setNClob(int index, Reader value) throws SQLException {
        ensureCurrent();
        delegate.setNClob(index, value);
        params.unreplayable();
    }

    @Override
    public void setNClob(int index, NClob value) throws SQLException {
        ensureCurrent();
        delegate.setNClob(index, value);
        params.unreplayable();
    }

    @Override
    public void setNString(int index, String value) throws SQLException {
        params.put(index, s -> s.setNString(index, value));
        if (isCurrent()) {
            delegate.setNString(index, value);
        }
    }

    @Override
    public void setNull(int index, int value, String a2) throws SQLException {
        params.put(index, s -> s.setNull(index, value, a2));
        if (isCurrent()) {
            delegate.setNull(index, value, a2);
        }
    }

    @Override
    public void setNull(int index, int value) throws SQLException {
        params.put(index, s -> s.setNull(index, value));
        if (isCurrent()) {
            delegate.setNull(index, value);
        }
    }

    @Override
    public void setObject(int index, Object value, int a2, int a3) throws SQLException {
        if (!ParamLog.isImmutable(value)) {
            ensureCurrent();
            delegate.setObject(index, value, a2, a3);
            params.unreplayable();
            return;
        }
        params.put(index, s -> s.setObject(index, value, a2, a3));
        if (isCurrent()) {
            delegate.setObject(index, value, a2, a3);
        }
    }

    @Override
    public void setObject(int index, Object value, int a2) throws SQLException {
        if (!ParamLog.isImmutable(value)) {
            ensureCurrent();
            delegate.setObject(index, value, a2);
            params.unreplayable();
            return;
        }
        params.put(index, s -> s.setObject(index, value, a2));
        if (isCurrent()) {
            delegate.setObject(index, value, a2);
        }
    }

    @Override
    public void setObject(int index, Object value, SQLType a2, int a3) throws SQLException {
        if (!ParamLog.isImmutable(value)) {
            ensureCurrent();
            delegate.setObject(index, value, a2, a3);
            params.unreplayable();
            return;
        }
        params.put(index, s -> s.setObject(index, value, a2, a3));
        if (isCurrent()) {
            delegate.setObject(index, value, a2, a3);
        }
    }

    @Override
    public void setObject(int index, Object value, SQLType a2) throws SQLException {
        if (!ParamLog.isImmutable(value)) {
            ensureCurrent();
            delegate.setObject(index, value, a2);
            params.unreplayable();
            return;
        }
        params.put(index, s -> s.setObject(index, value, a2));
        if (isCurrent()) {
            delegate.setObject(index, value, a2);
        }
    }

    @Override
    public void setObject(int index, Object value) throws SQLException {
        if (!ParamLog.isImmutable(value)) {
            ensureCurrent();
            delegate.setObject(index, value);
            params.unreplayable();
            return;
        }
        params.put(index, s -> s.setObject(index, value));
        if (isCurrent()) {
            delegate.setObject(index, value);
        }
    }

    @Override
    public void setRef(int index, Ref value) throws SQLException {
        ensureCurrent();
        delegate.setRef(index, value);
        params.unreplayable();
    }

    @Override
    public void setRowId(int index, RowId value) throws SQLException {
        ensureCurrent();
        delegate.setRowId(index, value);
        params.unreplayable();
    }

    @Override
    public void setSQLXML(int index, SQLXML value) throws SQLException {
        ensureCurrent();
        delegate.setSQLXML(index, value);
        params.unreplayable();
    }

    @Override
    public void setShort(int index, short value) throws SQLException {
        params.put(index, s -> s.setShort(index, value));
        if (isCurrent()) {
            delegate.setShort(index, value);
        }
    }

    @Override
    public void setString(int index, String value) throws SQLException {
        params.put(index, s -> s.setString(index, value));
        if (isCurrent()) {
            delegate.setString(index, value);
        }
    }

    @Override
    public void setTime(int index, Time value, Calendar a2) throws SQLException {
        params.put(index, s -> s.setTime(index, value, a2));
        if (isCurrent()) {
            delegate.setTime(index, value, a2);
        }
    }

    @Override
    public void setTime(int index, Time value) throws SQLException {
        params.put(index, s -> s.setTime(index, value));
        if (isCurrent()) {
            delegate.setTime(index, value);
        }
    }

    @Override
    public void setTimestamp(int index, Timestamp value, Calendar a2) throws SQLException {
        params.put(index, s -> s.setTimestamp(index, value, a2));
        if (isCurrent()) {
            delegate.setTimestamp(index, value, a2);
        }
    }

    @Override
    public void setTimestamp(int index, Timestamp value) throws SQLException {
        params.put(index, s -> s.setTimestamp(index, value));
        if (isCurrent()) {
            delegate.setTimestamp(index, value);
        }
    }

    @Override
    public void setURL(int index, URL value) throws SQLException {
        params.put(index, s -> s.setURL(index, value));
        if (isCurrent()) {
            delegate.setURL(index, value);
        }
    }

    @Deprecated
    @Override
    public void setUnicodeStream(int index, InputStream value, int a2) throws SQLException {
        ensureCurrent();
        delegate.setUnicodeStream(index, value, a2);
        params.unreplayable();
    }
}
