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
 * A callable statement of a {@link LogicalConnection}. Calls are never run again automatically (a procedure
 * may have effects a retry would repeat); connection failures are reported with pgcluster's SQLStates.
 */
final class LogicalCallableStatement extends LogicalPreparedStatement<CallableStatement> implements CallableStatement {

    LogicalCallableStatement(LogicalConnection conn, Factory<CallableStatement> factory) throws SQLException {
        super(conn, factory);
    }

    @Override
    boolean isReplayable() {
        return false;
    }

    @Override
    public Array getArray(String name) throws SQLException {
        return delegate.getArray(name);
    }

    @Override
    public Array getArray(int index) throws SQLException {
        return delegate.getArray(index);
    }

    @Override
    public BigDecimal getBigDecimal(String name) throws SQLException {
        return delegate.getBigDecimal(name);
    }

    @Deprecated
    @Override
    public BigDecimal getBigDecimal(int index, int a1) throws SQLException {
        return delegate.getBigDecimal(index, a1);
    }

    @Override
    public BigDecimal getBigDecimal(int index) throws SQLException {
        return delegate.getBigDecimal(index);
    }

    @Override
    public Blob getBlob(String name) throws SQLException {
        return delegate.getBlob(name);
    }

    @Override
    public Blob getBlob(int index) throws SQLException {
        return delegate.getBlob(index);
    }

    @Override
    public boolean getBoolean(String name) throws SQLException {
        return delegate.getBoolean(name);
    }

    @Override
    public boolean getBoolean(int index) throws SQLException {
        return delegate.getBoolean(index);
    }

    @Override
    public byte getByte(String name) throws SQLException {
        return delegate.getByte(name);
    }

    @Override
    public byte getByte(int index) throws SQLException {
        return delegate.getByte(index);
    }

    @Override
    public byte[] getBytes(String name) throws SQLException {
        return delegate.getBytes(name);
    }

    @Override
    public byte[] getBytes(int index) throws SQLException {
        return delegate.getBytes(index);
    }

    @Override
    public Reader getCharacterStream(String name) throws SQLException {
        return delegate.getCharacterStream(name);
    }

    @Override
    public Reader getCharacterStream(int index) throws SQLException {
        return delegate.getCharacterStream(index);
    }

    @Override
    public Clob getClob(String name) throws SQLException {
        return delegate.getClob(name);
    }

    @Override
    public Clob getClob(int index) throws SQLException {
        return delegate.getClob(index);
    }

    @Override
    public Date getDate(String name, Calendar a1) throws SQLException {
        return delegate.getDate(name, a1);
    }

    @Override
    public Date getDate(String name) throws SQLException {
        return delegate.getDate(name);
    }

    @Override
    public Date getDate(int index, Calendar a1) throws SQLException {
        return delegate.getDate(index, a1);
    }

    @Override
    public Date getDate(int index) throws SQLException {
        return delegate.getDate(index);
    }

    @Override
    public double getDouble(String name) throws SQLException {
        return delegate.getDouble(name);
    }

    @Override
    public double getDouble(int index) throws SQLException {
        return delegate.getDouble(index);
    }

    @Override
    public float getFloat(String name) throws SQLException {
        return delegate.getFloat(name);
    }

    @Override
    public float getFloat(int index) throws SQLException {
        return delegate.getFloat(index);
    }

    @Override
    public int getInt(String name) throws SQLException {
        return delegate.getInt(name);
    }

    @Override
    public int getInt(int index) throws SQLException {
        return delegate.getInt(index);
    }

    @Override
    public long getLong(String name) throws SQLException {
        return delegate.getLong(name);
    }

    @Override
    public long getLong(int index) throws SQLException {
        return delegate.getLong(index);
    }

    @Override
    public Reader getNCharacterStream(String name) throws SQLException {
        return delegate.getNCharacterStream(name);
    }

    @Override
    public Reader getNCharacterStream(int index) throws SQLException {
        return delegate.getNCharacterStream(index);
    }

    @Override
    public NClob getNClob(String name) throws SQLException {
        return delegate.getNClob(name);
    }

    @Override
    public NClob getNClob(int index) throws SQLException {
        return delegate.getNClob(index);
    }

    @Override
    public String getNString(String name) throws SQLException {
        return delegate.getNString(name);
    }

    @Override
    public String getNString(int index) throws SQLException {
        return delegate.getNString(index);
    }

    @Override
    public <T> T getObject(String name, Class<T> a1) throws SQLException {
        return delegate.getObject(name, a1);
    }

    @Override
    public Object getObject(String name, Map<String, Class<?>> a1) throws SQLException {
        return delegate.getObject(name, a1);
    }

    @Override
    public Object getObject(String name) throws SQLException {
        return delegate.getObject(name);
    }

    @Override
    public <T> T getObject(int index, Class<T> a1) throws SQLException {
        return delegate.getObject(index, a1);
    }

    @Override
    public Object getObject(int index, Map<String, Class<?>> a1) throws SQLException {
        return delegate.getObject(index, a1);
    }

    @Override
    public Object getObject(int index) throws SQLException {
        return delegate.getObject(index);
    }

    @Override
    public Ref getRef(String name) throws SQLException {
        return delegate.getRef(name);
    }

    @Override
    public Ref getRef(int index) throws SQLException {
        return delegate.getRef(index);
    }

    @Override
    public RowId getRowId(String name) throws SQLException {
        return delegate.getRowId(name);
    }

    @Override
    public RowId getRowId(int index) throws SQLException {
        return delegate.getRowId(index);
    }

    @Override
    public SQLXML getSQLXML(String name) throws SQLException {
        return delegate.getSQLXML(name);
    }

    @Override
    public SQLXML getSQLXML(int index) throws SQLException {
        return delegate.getSQLXML(index);
    }

    @Override
    public short getShort(String name) throws SQLException {
        return delegate.getShort(name);
    }

    @Override
    public short getShort(int index) throws SQLException {
        return delegate.getShort(index);
    }

    @Override
    public String getString(String name) throws SQLException {
        return delegate.getString(name);
    }

    @Override
    public String getString(int index) throws SQLException {
        return delegate.getString(index);
    }

    @Override
    public Time getTime(String name, Calendar a1) throws SQLException {
        return delegate.getTime(name, a1);
    }

    @Override
    public Time getTime(String name) throws SQLException {
        return delegate.getTime(name);
    }

    @Override
    public Time getTime(int index, Calendar a1) throws SQLException {
        return delegate.getTime(index, a1);
    }

    @Override
    public Time getTime(int index) throws SQLException {
        return delegate.getTime(index);
    }

    @Override
    public Timestamp getTimestamp(String name, Calendar a1) throws SQLException {
        return delegate.getTimestamp(name, a1);
    }

    @Override
    public Timestamp getTimestamp(String name) throws SQLException {
        return delegate.getTimestamp(name);
    }

    @Override
    public Timestamp getTimestamp(int index, Calendar a1) throws SQLException {
        return delegate.getTimestamp(index, a1);
    }

    @Override
    public Timestamp getTimestamp(int index) throws SQLException {
        return delegate.getTimestamp(index);
    }

    @Override
    public URL getURL(String name) throws SQLException {
        return delegate.getURL(name);
    }

    @Override
    public URL getURL(int index) throws SQLException {
        return delegate.getURL(index);
    }

    @Override
    public void registerOutParameter(String name, int a1, String a2) throws SQLException {
        delegate.registerOutParameter(name, a1, a2);
    }

    @Override
    public void registerOutParameter(String name, int a1, int a2) throws SQLException {
        delegate.registerOutParameter(name, a1, a2);
    }

    @Override
    public void registerOutParameter(String name, int a1) throws SQLException {
        delegate.registerOutParameter(name, a1);
    }

    @Override
    public void registerOutParameter(String name, SQLType a1, String a2) throws SQLException {
        delegate.registerOutParameter(name, a1, a2);
    }

    @Override
    public void registerOutParameter(String name, SQLType a1, int a2) throws SQLException {
        delegate.registerOutParameter(name, a1, a2);
    }

    @Override
    public void registerOutParameter(String name, SQLType a1) throws SQLException {
        delegate.registerOutParameter(name, a1);
    }

    @Override
    public void registerOutParameter(int index, int a1, String a2) throws SQLException {
        delegate.registerOutParameter(index, a1, a2);
    }

    @Override
    public void registerOutParameter(int index, int a1, int a2) throws SQLException {
        delegate.registerOutParameter(index, a1, a2);
    }

    @Override
    public void registerOutParameter(int index, int a1) throws SQLException {
        delegate.registerOutParameter(index, a1);
    }

    @Override
    public void registerOutParameter(int index, SQLType a1, String a2) throws SQLException {
        delegate.registerOutParameter(index, a1, a2);
    }

    @Override
    public void registerOutParameter(int index, SQLType a1, int a2) throws SQLException {
        delegate.registerOutParameter(index, a1, a2);
    }

    @Override
    public void registerOutParameter(int index, SQLType a1) throws SQLException {
        delegate.registerOutParameter(index, a1);
    }

    @Override
    public void setAsciiStream(String name, InputStream value, int a2) throws SQLException {
        delegate.setAsciiStream(name, value, a2);
    }

    @Override
    public void setAsciiStream(String name, InputStream value, long a2) throws SQLException {
        delegate.setAsciiStream(name, value, a2);
    }

    @Override
    public void setAsciiStream(String name, InputStream value) throws SQLException {
        delegate.setAsciiStream(name, value);
    }

    @Override
    public void setBigDecimal(String name, BigDecimal value) throws SQLException {
        delegate.setBigDecimal(name, value);
    }

    @Override
    public void setBinaryStream(String name, InputStream value, int a2) throws SQLException {
        delegate.setBinaryStream(name, value, a2);
    }

    @Override
    public void setBinaryStream(String name, InputStream value, long a2) throws SQLException {
        delegate.setBinaryStream(name, value, a2);
    }

    @Override
    public void setBinaryStream(String name, InputStream value) throws SQLException {
        delegate.setBinaryStream(name, value);
    }

    @Override
    public void setBlob(String name, InputStream value, long a2) throws SQLException {
        delegate.setBlob(name, value, a2);
    }

    @Override
    public void setBlob(String name, InputStream value) throws SQLException {
        delegate.setBlob(name, value);
    }

    @Override
    public void setBlob(String name, Blob value) throws SQLException {
        delegate.setBlob(name, value);
    }

    @Override
    public void setBoolean(String name, boolean value) throws SQLException {
        delegate.setBoolean(name, value);
    }

    @Override
    public void setByte(String name, byte value) throws SQLException {
        delegate.setByte(name, value);
    }

    @Override
    public void setBytes(String name, byte[] value) throws SQLException {
        delegate.setBytes(name, value);
    }

    @Override
    public void setCharacterStream(String name, Reader value, int a2) throws SQLException {
        delegate.setCharacterStream(name, value, a2);
    }

    @Override
    public void setCharacterStream(String name, Reader value, long a2) throws SQLException {
        delegate.setCharacterStream(name, value, a2);
    }

    @Override
    public void setCharacterStream(String name, Reader value) throws SQLException {
        delegate.setCharacterStream(name, value);
    }

    @Override
    public void setClob(String name, Reader value, long a2) throws SQLException {
        delegate.setClob(name, value, a2);
    }

    @Override
    public void setClob(String name, Reader value) throws SQLException {
        delegate.setClob(name, value);
    }

    @Override
    public void setClob(String name, Clob value) throws SQLException {
        delegate.setClob(name, value);
    }

    @Override
    public void setDate(String name, Date value, Calendar a2) throws SQLException {
        delegate.setDate(name, value, a2);
    }

    @Override
    public void setDate(String name, Date value) throws SQLException {
        delegate.setDate(name, value);
    }

    @Override
    public void setDouble(String name, double value) throws SQLException {
        delegate.setDouble(name, value);
    }

    @Override
    public void setFloat(String name, float value) throws SQLException {
        delegate.setFloat(name, value);
    }

    @Override
    public void setInt(String name, int value) throws SQLException {
        delegate.setInt(name, value);
    }

    @Override
    public void setLong(String name, long value) throws SQLException {
        delegate.setLong(name, value);
    }

    @Override
    public void setNCharacterStream(String name, Reader value, long a2) throws SQLException {
        delegate.setNCharacterStream(name, value, a2);
    }

    @Override
    public void setNCharacterStream(String name, Reader value) throws SQLException {
        delegate.setNCharacterStream(name, value);
    }

    @Override
    public void setNClob(String name, Reader value, long a2) throws SQLException {
        delegate.setNClob(name, value, a2);
    }

    @Override
    public void setNClob(String name, Reader value) throws SQLException {
        delegate.setNClob(name, value);
    }

    @Override
    public void setNClob(String name, NClob value) throws SQLException {
        delegate.setNClob(name, value);
    }

    @Override
    public void setNString(String name, String value) throws SQLException {
        delegate.setNString(name, value);
    }

    @Override
    public void setNull(String name, int value, String a2) throws SQLException {
        delegate.setNull(name, value, a2);
    }

    @Override
    public void setNull(String name, int value) throws SQLException {
        delegate.setNull(name, value);
    }

    @Override
    public void setObject(String name, Object value, int a2, int a3) throws SQLException {
        delegate.setObject(name, value, a2, a3);
    }

    @Override
    public void setObject(String name, Object value, int a2) throws SQLException {
        delegate.setObject(name, value, a2);
    }

    @Override
    public void setObject(String name, Object value, SQLType a2, int a3) throws SQLException {
        delegate.setObject(name, value, a2, a3);
    }

    @Override
    public void setObject(String name, Object value, SQLType a2) throws SQLException {
        delegate.setObject(name, value, a2);
    }

    @Override
    public void setObject(String name, Object value) throws SQLException {
        delegate.setObject(name, value);
    }

    @Override
    public void setRowId(String name, RowId value) throws SQLException {
        delegate.setRowId(name, value);
    }

    @Override
    public void setSQLXML(String name, SQLXML value) throws SQLException {
        delegate.setSQLXML(name, value);
    }

    @Override
    public void setShort(String name, short value) throws SQLException {
        delegate.setShort(name, value);
    }

    @Override
    public void setString(String name, String value) throws SQLException {
        delegate.setString(name, value);
    }

    @Override
    public void setTime(String name, Time value, Calendar a2) throws SQLException {
        delegate.setTime(name, value, a2);
    }

    @Override
    public void setTime(String name, Time value) throws SQLException {
        delegate.setTime(name, value);
    }

    @Override
    public void setTimestamp(String name, Timestamp value, Calendar a2) throws SQLException {
        delegate.setTimestamp(name, value, a2);
    }

    @Override
    public void setTimestamp(String name, Timestamp value) throws SQLException {
        delegate.setTimestamp(name, value);
    }

    @Override
    public void setURL(String name, URL value) throws SQLException {
        delegate.setURL(name, value);
    }

    @Override
    public boolean wasNull() throws SQLException {
        return delegate.wasNull();
    }
}
