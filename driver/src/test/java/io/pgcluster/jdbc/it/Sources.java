package io.pgcluster.jdbc.it;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;

/**
 * Configurations of each topology source for the rig's cluster, and helpers to see where work ran. ZOOKEEPER needs a
 * cluster with {@code @ClusterConfig(dcs = Dcs.ZOOKEEPER)} and ETCD one with etcd (the default); classes that run
 * every source on an etcd cluster leave ZOOKEEPER out ({@link #ON_ETCD}), and {@code ZooKeeperIT} runs it.
 */
enum Sources {
    ETCD, PATRONI, HOSTS, ENDPOINTS, ZOOKEEPER;

    /** For {@code @EnumSource(value = Sources.class, mode = EXCLUDE, names = ON_ETCD)}: the sources an etcd rig serves. */
    static final String ON_ETCD = "ZOOKEEPER";

    /** A configuration with fast timings suited to tests. */
    PgClusterConfig.Builder config(PatroniCluster c) {
        PgClusterConfig.Builder b = PgClusterConfig.builder();
        switch (this) {
            case ETCD:
                b.etcd(c.etcdClientEndpoint().replace("http://", "")).scope(c.scope()).namespace(c.namespace());
                break;
            case PATRONI:
                b.patroni(c.nodes().stream().map(n -> n.host() + ":" + n.restPort()).collect(Collectors.joining(",")));
                break;
            case ZOOKEEPER:
                b.zookeeper(c.zooKeeperClientAddress()).scope(c.scope()).namespace(c.namespace());
                break;
            case HOSTS:
                b.hosts(c.nodes().stream().map(n -> n.host() + ":" + n.connectPort())
                        .collect(Collectors.joining(",")));
                break;
            default:
                b.endpoints("127.0.0.1:" + c.haProxy().writePort(), "127.0.0.1:" + c.haProxy().readPort());
        }
        return b.name("it-" + name().toLowerCase()).database(c.database()).user(c.user()).password(c.password())
                .set("pollInterval", "200ms").set("suspectTimeout", "2s").set("connectionTimeout", "2s")
                .set("failoverTimeout", "40s").set("minIdle", "0");
    }

    /** The rig node a physical connection runs on, by its PostgreSQL port, with "/primary" or "/replica". */
    static String where(PatroniCluster cluster, Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            return nodeName(cluster, rs.getInt(1)) + (rs.getBoolean(2) ? "/replica" : "/primary");
        }
    }

    static String nodeName(PatroniCluster cluster, int pgPort) {
        for (PatroniNode n : cluster.nodes()) {
            if (n.pgPort() == pgPort) {
                return n.name();
            }
        }
        return "port" + pgPort;
    }
}
