package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** After close(): no pgcluster (or jetcd, or ZooKeeper client) thread alive, no server connection left. */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class CloseIT {

    @ParameterizedTest
    @EnumSource(value = Sources.class, mode = EnumSource.Mode.MATCH_NONE, names = Sources.ON_ETCD)
    void closeLeavesNothingBehind(Sources source, PatroniCluster cluster) throws Exception {
        String app = "pgcluster-close-" + source.name().toLowerCase();
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        PgClusterDataSource ds = new PgClusterDataSource(source.config(cluster).set("ApplicationName", app)
                .set("minIdle", "1").build());
        try {
            for (int i = 0; i < 10; i++) {
                ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c));
                ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
            }
            Connection open = ds.getConnection();
            open.setAutoCommit(false);
            Sources.where(cluster, open); // left open on purpose: close() must still end it
            assertThat(serverConnections(cluster, app)).isPositive();
        } finally {
            ds.close();
        }
        Awaits.until(Duration.ofSeconds(10), "threads started by the data source to end", () -> started(before)
                .isEmpty());
        Awaits.until(Duration.ofSeconds(10), "server connections of " + app + " to end",
                () -> serverConnections(cluster, app) == 0);
        assertThat(ds.isClosed()).isTrue();
    }

    /** Threads started since {@code before} that are still alive, other than the JDK's own helpers. */
    private static List<String> started(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                .map(Thread::getName)
                .filter(n -> n.startsWith("pgcluster-") || n.contains("vert.x") || n.contains("grpc")
                        || n.contains(":connection-") || n.contains("etcd") || n.startsWith("PostgreSQL JDBC")
                        || n.startsWith("zookeeper-"))
                .collect(Collectors.toList());
    }

    private static int serverConnections(PatroniCluster cluster, String app) {
        int n = 0;
        for (PatroniNode node : cluster.nodes()) {
            try (Connection c = cluster.connectSuperuser(node); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                            + app + "'")) {
                rs.next();
                n += rs.getInt(1);
            } catch (SQLException e) {
                throw new AssertionError("cannot query pg_stat_activity on " + node.name(), e);
            }
        }
        return n;
    }
}
