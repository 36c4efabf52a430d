package io.pgcluster.benchmarks.overhead;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Hands out connections from several pools in turn: what an application does by hand to spread reads over replicas
 * with plain HikariCP, and what pgcluster does by default ({@code loadBalance=roundRobin}). The raw read baseline uses
 * it over the same replicas pgcluster balances over, so that the comparison is of routing cost, not of topology.
 *
 * <p>Thread-safe.
 */
final class RoundRobinDataSource implements DataSource {
    private final DataSource[] pools;
    private final AtomicInteger next = new AtomicInteger();

    RoundRobinDataSource(List<? extends DataSource> pools) {
        this.pools = pools.toArray(new DataSource[0]);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return pools[(next.getAndIncrement() & Integer.MAX_VALUE) % pools.length].getConnection();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the pools connect with their configured user");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // nothing to log
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // the pools have their own timeouts
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
}
