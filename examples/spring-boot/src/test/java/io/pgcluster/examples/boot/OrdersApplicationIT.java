package io.pgcluster.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example service on Spring Boot 4 against the real cluster: the starter works there too (routing, health,
 * Prometheus), over HTTP as a client would see it.
 */
@PatroniClusterTest
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrdersApplicationIT {
    private static PatroniCluster cluster;
    private final HttpClient http = HttpClient.newHttpClient();

    @Autowired
    Environment environment;

    @BeforeAll
    static void cluster(PatroniCluster c) {
        cluster = c;
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("PGC_URL", () -> "jdbc:pgcluster:etcd://" + cluster.etcdClientEndpoint().replace("http://", "") + "/"
                + cluster.database() + "?scope=" + cluster.scope());
        r.add("PGC_USER", () -> cluster.user());
        r.add("PGC_PASSWORD", () -> cluster.password());
    }

    private String get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    private String send(HttpRequest request) throws Exception {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s -> %s", request.uri(), r.body()).isEqualTo(200);
        return r.body();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path);
    }

    @Test
    void readsOnReplicasWritesOnTheLeaderHealthAndMetrics() throws Exception {
        PatroniNode leader = cluster.leader();
        String where = get("/where");
        assertThat(where).contains("\"readWrite\":\"" + leader.pgPort() + " (primary)\"");
        assertThat(where).containsPattern("\"readOnly\":\"\\d+ \\(replica\\)\"");

        send(HttpRequest.newBuilder(uri("/orders?item=book")).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(get("/orders/count")).matches("\\{\"count\":\\d+}");

        String health = get("/actuator/health");
        assertThat(health).contains("\"status\":\"UP\"").contains("\"pgcluster\"")
                .contains("\"leader\":\"" + leader.name() + " ").contains("topologyAgeMs")
                .doesNotContain(cluster.password());

        String prometheus = get("/actuator/prometheus");
        assertThat(prometheus).contains("pgcluster_").doesNotContain(cluster.password());
    }
}
