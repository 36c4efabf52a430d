package io.pgcluster.jdbc.internal.failover;

import io.pgcluster.jdbc.failover.SqlStates;
import java.io.IOException;
import java.sql.SQLException;

/**
 * Classifies SQL errors by what they mean for routing and retries.
 *
 * <p>A <em>connection failure</em> means the server or the path to it is gone or going: SQLState class 08,
 * 57P01 (admin shutdown), 57P02 (crash shutdown), 57P03 (cannot connect now), or an I/O exception in the cause
 * chain. It makes the member suspect and the topology be looked at again. A pool that merely ran out of
 * connections is not a connection failure.
 *
 * <p>Thread-safety: stateless.
 */
public final class Failures {
    private Failures() {
    }

    /** Whether {@code e} says the member's connection is broken or cannot be opened. */
    public static boolean isConnectionFailure(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                String state = ((SQLException) t).getSQLState();
                if (state != null && (state.startsWith(SqlStates.CONNECTION_EXCEPTION_CLASS)
                        || state.equals(SqlStates.ADMIN_SHUTDOWN) || state.equals(SqlStates.CRASH_SHUTDOWN)
                        || state.equals(SqlStates.CANNOT_CONNECT_NOW))) {
                    return true;
                }
            } else if (t instanceof IOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * Whether a server refused a new session for a reason that waiting or another member does not fix: the login or
     * the TLS check failed (SQLState class 28) or the database does not exist (3D000). A pool that records such a
     * refusal as its last connection failure has no connection to give until the configuration changes.
     */
    public static boolean isRefusal(SQLException e) {
        String state = e.getSQLState();
        return !isConnectionFailure(e) && state != null && (state.startsWith(SqlStates.INVALID_AUTHORIZATION_CLASS)
                || state.equals(SqlStates.INVALID_CATALOG_NAME));
    }

    /**
     * Whether a transaction that failed with {@code e} may succeed when run again from the start: a connection
     * failure (the next attempt goes to the current leader or another replica), a serialization failure (40001)
     * or a deadlock (40P01). Not pgcluster's own give-up ({@link ClusterUnavailableException}: it already waited
     * as long as configured) and not a closed connection or data source (08003).
     */
    public static boolean isRetryable(Throwable e) {
        if (!(e instanceof SQLException) || e instanceof ClusterUnavailableException) {
            return false;
        }
        SQLException s = (SQLException) e;
        String state = s.getSQLState();
        if (SqlStates.CONNECTION_CLOSED.equals(state)) {
            return false;
        }
        return SqlStates.SERIALIZATION_FAILURE.equals(state) || SqlStates.DEADLOCK.equals(state)
                || isConnectionFailure(s);
    }
}
