package io.pgcluster.jdbc.pool;

import io.pgcluster.jdbc.config.ServerConnector;
import io.pgcluster.jdbc.topology.Member;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.function.Consumer;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * The physical connection factory HikariCP uses for one member's pool.
 *
 * <p>For a write pool it refuses a server in recovery, so a write pool can never hold a connection to a replica
 * even when the topology is a moment behind a switchover: PostgreSQL 14+ reports {@code in_hot_standby} when the
 * session starts, which costs no round trip; older servers are asked {@code pg_is_in_recovery()}. Every failed
 * attempt is reported at once to {@code onFailure} so that routing can stop waiting on a dead member without
 * waiting for HikariCP's timeout.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class MemberDataSource implements DataSource {
    private final ServerConnector connector;
    private final Member member;
    private final boolean write;
    private final Consumer<SQLException> onFailure;

    MemberDataSource(ServerConnector connector, Member member, boolean write, Consumer<SQLException> onFailure) {
        this.connector = connector;
        this.member = member;
        this.write = write;
        this.onFailure = onFailure;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c;
        try {
            c = connector.connect(member.host(), member.port());
        } catch (SQLException e) {
            onFailure.accept(e);
            throw e;
        }
        if (write) {
            try {
                if (PrimaryCheck.inRecovery(c)) {
                    SQLException e = new SQLException("pgcluster: member " + member.name() + " (" + member.address()
                            + ") is in recovery (a replica); it cannot take writes", "08001");
                    onFailure.accept(e);
                    throw e;
                }
            } catch (SQLException e) {
                try {
                    c.close();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
        return c;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("pgcluster connects with the configured user");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // pgcluster logs through slf4j
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // connect and login timeouts are pgjdbc properties (connectTimeout, loginTimeout)
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    /** Whether a session runs on a server in recovery. */
    static final class PrimaryCheck {
        private PrimaryCheck() {
        }

        static boolean inRecovery(Connection c) throws SQLException {
            String hot = c.unwrap(PGConnection.class).getParameterStatus("in_hot_standby");
            if (hot != null) {
                return "on".equals(hot);
            }
            try (java.sql.Statement s = c.createStatement();
                    java.sql.ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
