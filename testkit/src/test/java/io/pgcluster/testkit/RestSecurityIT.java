package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The secured REST API option really secures it: https with the cluster's CA, client certificates required, basic
 * auth on unsafe endpoints; and the rig works through it (bring-up with HAProxy checking over https, switchover).
 */
@Order(10)
@PatroniClusterTest
@ClusterConfig(restTls = true, restVerifyClient = true, restAuth = true, haProxy = true)
class RestSecurityIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** A dynamic-configuration patch that changes nothing (the value the rig bootstraps with). */
    private static final String SAME = "{\"maximum_lag_on_failover\": 1048576}";

    @Test
    void theRestApiServesHttpsWantsClientCertificatesAndCredentials(PatroniCluster cluster) throws Exception {
        PatroniNode leader = cluster.leader();
        assertThat(leader.restUrl()).startsWith("https://127.0.0.1:");
        assertThat(cluster.restUser()).isEqualTo("patroni");
        assertThat(cluster.restPassword()).hasSize(20);

        PatroniRest full = new PatroniRest(cluster.restCaFile(), cluster.restClientCertificate(), cluster.restUser(),
                cluster.restPassword());
        assertThat(full.get(leader.restUrl() + "/cluster", TIMEOUT).status).isEqualTo(200);
        assertThat(full.send("PATCH", leader.restUrl() + "/config", SAME, TIMEOUT).status).isEqualTo(200);

        PatroniRest noCredentials = new PatroniRest(cluster.restCaFile(), cluster.restClientCertificate(), null, null);
        assertThat(noCredentials.get(leader.restUrl() + "/cluster", TIMEOUT).status)
                .as("Patroni 3 checks credentials on unsafe endpoints only").isEqualTo(200);
        assertThat(noCredentials.send("PATCH", leader.restUrl() + "/config", SAME, TIMEOUT).status).isEqualTo(401);
        PatroniRest wrongPassword = new PatroniRest(cluster.restCaFile(), cluster.restClientCertificate(),
                cluster.restUser(), "wrong");
        assertThat(wrongPassword.send("PATCH", leader.restUrl() + "/config", SAME, TIMEOUT).status).isEqualTo(401);

        PatroniRest noClientCertificate = new PatroniRest(cluster.restCaFile(), null, cluster.restUser(),
                cluster.restPassword());
        assertThatThrownBy(() -> noClientCertificate.get(leader.restUrl() + "/cluster", TIMEOUT))
                .isInstanceOf(IOException.class);
        String plain = leader.restUrl().replace("https://", "http://");
        assertThatThrownBy(() -> new PatroniRest().get(plain + "/cluster", TIMEOUT)).isInstanceOf(IOException.class);
    }

    @Test
    void switchoverGoesThroughTheSecuredApi(PatroniCluster cluster) {
        String old = cluster.leader().name();
        PatroniNode next = cluster.switchover();
        assertThat(next.name()).isNotEqualTo(old);
        cluster.awaitHealthy(Duration.ofMinutes(2));
    }
}
