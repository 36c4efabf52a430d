package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Read-only work runs on replicas, spread over both; everything else on the leader. For every source. */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class RoutingIT {

    @ParameterizedTest
    @EnumSource(value = Sources.class, mode = EnumSource.Mode.MATCH_NONE, names = Sources.ON_ETCD)
    void readOnlyWorkRunsOnReplicasAndTheRestOnTheLeader(Sources source, PatroniCluster cluster) throws Exception {
        String leader = cluster.leader().name();
        Set<String> replicas = cluster.replicas().stream().map(PatroniNode::name).collect(Collectors.toSet());
        try (PgClusterDataSource ds = new PgClusterDataSource(source.config(cluster).build())) {
            awaitReplicasCurrent(source, cluster, ds);
            Map<String, Integer> readsPerServer = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    readsPerServer.merge(Sources.where(cluster, c), 1, Integer::sum);
                }
            }
            Set<String> expected = replicas.stream().map(r -> r + "/replica").collect(Collectors.toSet());
            if (source == Sources.ENDPOINTS) {
                // HAProxy balances per TCP connection and the read pool reuses its connections
                assertThat(expected).as("reads on replicas only").containsAll(readsPerServer.keySet());
            } else {
                assertThat(readsPerServer.keySet()).as("reads spread over both replicas")
                        .containsExactlyInAnyOrderElementsOf(expected);
                assertThat(readsPerServer.values()).as("round-robin").allSatisfy(n -> assertThat(n).isEqualTo(15));
            }

            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).as("default: the leader").isEqualTo(leader + "/primary");
            }

            // what Spring's @Transactional(readOnly = true) does, then a read-write transaction on the same connection
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                c.setAutoCommit(false);
                assertThat(Sources.where(cluster, c)).endsWith("/replica");
                c.commit();
                c.setReadOnly(false);
                assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
                c.commit();
                c.setAutoCommit(true);
            }

            String readOnly = ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c));
            String readWrite = ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
            assertThat(readOnly).endsWith("/replica");
            assertThat(readWrite).isEqualTo(leader + "/primary");
        }
    }

    /**
     * On a fresh, idle cluster Patroni can publish a replica 16 MB behind (its last replayed LSN before a WAL segment
     * switch against the leader's current LSN after it) until the leader writes again; reads would then rightly
     * skip it. Some WAL first, and every replica current in the source's view (where it reports lag), as on a
     * cluster in use.
     */
    static void awaitReplicasCurrent(Sources source, PatroniCluster cluster, PgClusterDataSource ds)
            throws Exception {
        Tables.recreate(cluster, "routing_wal");
        Awaits.until(Duration.ofSeconds(30), "both replicas current in the topology", () -> {
            Topology t = ds.topology();
            int expected = source == Sources.ENDPOINTS ? 1 : cluster.replicas().size(); // one read address
            return t.leader() != null && t.replicas().size() == expected
                    && t.replicas().stream().allMatch(m -> m.lagBytes() < 1024 * 1024);
        });
    }

    /**
     * A write address that leads to a replica (a stale or misconfigured endpoint) never gets a write: the write
     * connection asks pg_is_in_recovery() before it is handed out, waits connectionTimeout, then fails with 08001.
     */
    @Test
    void aWriteEndpointThatIsAReplicaGetsNoWrite(PatroniCluster cluster) throws Exception {
        PatroniNode replica = cluster.replicas().get(0);
        String address = "127.0.0.1:" + replica.pgPort();
        PgClusterConfig config = PgClusterConfig.builder().endpoints(address, address).name("it-stale-endpoint")
                .database(cluster.database()).user(cluster.user()).password(cluster.password())
                .set("connectionTimeout", "1s").set("failoverTimeout", "1s").set("minIdle", "0").build();
        try (PgClusterDataSource ds = new PgClusterDataSource(config); Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TEMP TABLE stale_endpoint_probe (id int)");
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"))
                    .hasMessageContaining("no leader")
                    .hasMessageContaining(address + ") leader, but it gave no write connection in time");
            c.setReadOnly(true);
            assertThat(Sources.where(cluster, c)).as("reads still work").isEqualTo(replica.name() + "/replica");
        }
    }

    /**
     * {@code failoverTimeout=0} means "do not wait for a leader that is absent", not "never borrow": with a leader
     * named, writes (and inTransaction) run on it.
     */
    @Test
    void failoverTimeoutZeroStillWritesToTheNamedLeader(PatroniCluster cluster) throws Exception {
        String leader = cluster.leader().name();
        Tables.recreate(cluster, "routing_zero_wait");
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster)
                .name("it-zero-wait").set("failoverTimeout", "0").build())) {
            Awaits.until(Duration.ofSeconds(10), "a leader in the topology", () -> ds.topology().leader() != null);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO routing_zero_wait (id, port) VALUES (1, inet_server_port())");
                assertThat(Sources.where(cluster, c)).isEqualTo(leader + "/primary");
            }
            String where = ds.inTransaction(TransactionMode.READ_WRITE, c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO routing_zero_wait (id, port) VALUES (2, inet_server_port())");
                }
                return Sources.where(cluster, c);
            });
            assertThat(where).isEqualTo(leader + "/primary");
        }
    }
}
