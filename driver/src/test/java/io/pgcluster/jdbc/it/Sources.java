package io.pgcluster.jdbc.it;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.ConsulServer;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Configurations of each topology source for the rig's cluster, and helpers to see where work ran. ZOOKEEPER needs a
 * cluster with {@code @ClusterConfig(dcs = Dcs.ZOOKEEPER)}, CONSUL one with {@code dcs = Dcs.CONSUL} (its token and CA
 * are taken when the rig's Consul has ACLs or TLS), and ETCD one with etcd (the default); classes that run every
 * source on an etcd cluster leave ZOOKEEPER and CONSUL out ({@link #ON_ETCD}), and {@code ZooKeeperIT} and
 * {@code ConsulIT} run them.
 */
enum Sources {
    ETCD, PATRONI, HOSTS, ENDPOINTS, ZOOKEEPER, CONSUL;

    /**
     * For {@code @EnumSource(value = Sources.class, mode = MATCH_NONE, names = ON_ETCD)}: a pattern of the sources an
     * etcd rig does not serve, so the others run.
     */
    static final String ON_ETCD = "ZOOKEEPER|CONSUL";

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
            case CONSUL:
                b.consul(c.consulClientAddress()).scope(c.scope()).namespace(c.namespace());
                ConsulServer consul = c.consul();
                if (consul.tls()) {
                    b.set("dcsTls", "true").set("dcsCaFile", consul.caFile().toString());
                }
                if (consul.acl()) {
                    b.set("dcsToken", consul.clientToken())
                            .set("dcsPlaintextCredentials", String.valueOf(!consul.tls()));
                }
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

    /** Where a plain-JDBC read-only auto-commit query through {@code ds} runs (the ITs' "autocommit" reader). */
    static String readWhere(DataSource ds, PatroniCluster cluster) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(true);
            return where(cluster, c);
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
