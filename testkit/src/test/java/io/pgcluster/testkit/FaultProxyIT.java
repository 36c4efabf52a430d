package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Fault proxies in front of the nodes (as their connect_address) and of etcd (for clients). */
@Order(3)
@FullRig
class FaultProxyIT {
    @AfterEach
    void restore(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void patroniPublishesTheProxyPortsAndReplicatesThroughThem(PatroniCluster cluster) {
        ClusterView v = cluster.view();
        for (PatroniNode n : cluster.nodes()) {
            assertThat(n.connectPort()).isNotEqualTo(n.pgPort()).isEqualTo(cluster.faultProxy(n).port());
            assertThat(cluster.faultProxy(n).targetPort()).isEqualTo(n.pgPort());
            assertThat(v.member(n.name()).port).as("port in GET /cluster (conn_url)").isEqualTo(n.connectPort());
        }
        // Both walreceivers stream from the leader's connect_address, i.e. through its proxy.
        assertThat(cluster.faultProxy(cluster.leader()).activeConnections()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void blackholeHangsTrafficUntilPass(PatroniCluster cluster) throws Exception {
        PatroniNode replica = cluster.replicas().get(0);
        FaultProxy proxy = cluster.faultProxy(replica);
        try (Connection c = ItSupport.connectApp(cluster, replica.connectPort(), 3, 2)) {
            assertThat(Sql.scalar(c, "select 1")).isEqualTo("1");
            proxy.blackhole();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Sql.scalar(c, "select 2")).as("query through a blackhole")
                    .isInstanceOf(SQLException.class);
            assertThat(ItSupport.millisSince(t0)).as("failed by socketTimeout, not at once").isGreaterThan(1500);
        }
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ItSupport.connectApp(cluster, replica.connectPort(), 2, 2).close())
                .as("new connection through a blackhole").isInstanceOf(SQLException.class);
        assertThat(ItSupport.millisSince(t0)).isGreaterThan(1500);
        // Direct access is unaffected: only the network path is cut.
        try (Connection direct = ItSupport.connectApp(cluster, replica.pgPort(), 3, 5)) {
            assertThat(Sql.scalar(direct, "select 3")).isEqualTo("3");
        }
        proxy.pass();
        try (Connection c = ItSupport.connectApp(cluster, replica.connectPort(), 3, 5)) {
            assertThat(Sql.scalar(c, "select 4")).isEqualTo("4");
        }
    }

    @Test
    void latencySlowsEveryRoundTrip(PatroniCluster cluster) throws Exception {
        PatroniNode replica = cluster.replicas().get(0);
        FaultProxy proxy = cluster.faultProxy(replica);
        try (Connection c = ItSupport.connectApp(cluster, replica.connectPort(), 5, 10)) {
            Sql.scalar(c, "select 1");
            proxy.latency(Duration.ofMillis(200));
            long t0 = System.nanoTime();
            Sql.scalar(c, "select 1");
            long slow = ItSupport.millisSince(t0);
            proxy.pass();
            t0 = System.nanoTime();
            Sql.scalar(c, "select 1");
            long fast = ItSupport.millisSince(t0);
            System.out.printf("select 1 with 200 ms latency each way: %d ms, after pass: %d ms%n", slow, fast);
            assertThat(slow).isBetween(400L, 3000L);
            assertThat(fast).isLessThan(200L);
        }
    }

    @Test
    void resetAllBreaksOpenConnections(PatroniCluster cluster) throws Exception {
        PatroniNode replica = cluster.replicas().get(0);
        FaultProxy proxy = cluster.faultProxy(replica);
        int before = proxy.activeConnections();
        try (Connection c = ItSupport.connectApp(cluster, replica.connectPort(), 3, 10)) {
            Sql.scalar(c, "select 1");
            assertThat(proxy.activeConnections()).isGreaterThan(before);
            proxy.resetAll();
            assertThatThrownBy(() -> Sql.scalar(c, "select 1")).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).as(e.toString()).isEqualTo("08006"));
        }
        try (Connection c = ItSupport.connectApp(cluster, replica.connectPort(), 3, 10)) {
            assertThat(Sql.scalar(c, "select 5")).isEqualTo("5");
        }
    }

    @Test
    void etcdClientEndpointGoesThroughItsProxy(PatroniCluster cluster) throws Exception {
        String endpoint = cluster.etcdClientEndpoint();
        assertThat(endpoint).isEqualTo("http://127.0.0.1:" + cluster.etcdFaultProxy().port())
                .isNotEqualTo(cluster.etcd().endpoint());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String key = Base64.getEncoder().encodeToString((cluster.namespace() + "/" + cluster.scope() + "/leader")
                .getBytes(StandardCharsets.UTF_8));
        HttpRequest range = HttpRequest.newBuilder(URI.create(endpoint + "/v3/kv/range"))
                .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")).build();
        String body = http.send(range, HttpResponse.BodyHandlers.ofString()).body();
        String leader = cluster.leader().name();
        assertThat(body).as("v3 JSON gateway through the proxy").contains(
                Base64.getEncoder().encodeToString(leader.getBytes(StandardCharsets.UTF_8)));

        cluster.etcdFaultProxy().blackhole();
        HttpRequest fresh = HttpRequest.newBuilder(URI.create(endpoint + "/version")).timeout(Duration.ofSeconds(2))
                .build();
        HttpClient other = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        assertThat(catchThrowableOfType(HttpTimeoutException.class,
                () -> other.send(fresh, HttpResponse.BodyHandlers.ofString()))).isNotNull();
        // Patroni talks to etcd directly, so the cluster is unaffected.
        cluster.awaitHealthy(Duration.ofSeconds(10));
        cluster.etcdFaultProxy().pass();
        assertThat(other.send(fresh, HttpResponse.BodyHandlers.ofString()).body()).contains("etcdserver");
    }
}
