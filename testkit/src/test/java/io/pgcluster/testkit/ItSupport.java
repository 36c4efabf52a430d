package io.pgcluster.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/** Small helpers shared by the ITs. */
final class ItSupport {
    private ItSupport() {}

    /** An app-user connection through any port, with explicit timeouts (seconds). */
    static Connection connectApp(PatroniCluster c, int port, int connectTimeout, int socketTimeout)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", c.user());
        p.setProperty("password", c.password());
        p.setProperty("connectTimeout", Integer.toString(connectTimeout));
        p.setProperty("loginTimeout", Integer.toString(connectTimeout));
        p.setProperty("socketTimeout", Integer.toString(socketTimeout));
        p.setProperty("ApplicationName", "testkit-it");
        return new org.postgresql.Driver().connect(c.jdbcUrl("127.0.0.1", port), p);
    }

    static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static Route awaitRoute(PatroniCluster c, String what, int port, String node, boolean inRecovery,
            Duration timeout) {
        return Await.until(what + " to reach " + node + (inRecovery ? " (replica)" : " (primary)"), timeout, () -> {
            Route r = c.route(port);
            if (!r.node.equals(node) || r.inRecovery != inRecovery) {
                throw new Await.NotYet(what + " reached " + r);
            }
            return r;
        });
    }

    static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
