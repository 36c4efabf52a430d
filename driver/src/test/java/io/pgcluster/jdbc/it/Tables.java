package io.pgcluster.jdbc.it;

import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/** Test tables on the rig's leader, owned by the application user. */
final class Tables {
    private Tables() {
    }

    /** A plain pgjdbc connection as the application user, straight to {@code node}'s PostgreSQL. */
    static Connection direct(PatroniCluster cluster, PatroniNode node) throws Exception {
        return DriverManager.getConnection(cluster.jdbcUrl(node.host(), node.pgPort()), cluster.user(),
                cluster.password());
    }

    /** The ids {@code query} returns, read on the leader (what a test's acknowledged writes left behind). */
    static Set<Long> ids(PatroniCluster cluster, String query) throws Exception {
        Set<Long> ids = new HashSet<>();
        try (Connection c = direct(cluster, cluster.leader());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    static void recreate(PatroniCluster cluster, String table) throws Exception {
        try (Connection c = direct(cluster, cluster.leader()); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
            s.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, port int, payload text)");
        }
    }
}
