package io.pgcluster.jdbc;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A callable statement of a {@link LogicalConnection}. Calls are never run again automatically (a procedure
 * may have effects a retry would repeat); connection failures are reported with pgcluster's SQLStates. Its own
 * methods (out parameters, named parameters) go straight to the physical statement: see
 * {@link CallableStatementWrapper}.
 */
final class LogicalCallableStatement extends CallableStatementWrapper {

    LogicalCallableStatement(LogicalConnection conn, String sql, Factory<CallableStatement> factory)
            throws SQLException {
        super(conn, sql, factory);
    }

    @Override
    CallableStatement createUsual(Connection physical, String sql) throws SQLException {
        return physical.prepareCall(sql);
    }

    @Override
    boolean isReplayable() {
        return false;
    }
}
