package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Maintenance mode and dynamic configuration through Patroni's REST API. */
@Order(4)
@FullRig
class PauseAndConfigIT {
    private static PatroniCluster cluster;

    @org.junit.jupiter.api.BeforeAll
    static void init(PatroniCluster c) { // @BeforeAll injection
        cluster = c;
    }

    @AfterEach
    void restore() {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    private static boolean memberReportsPause(PatroniNode n) throws IOException {
        return Boolean.TRUE.equals(Json.parseObject(new PatroniRest().get(n.restUrl() + "/patroni",
                Duration.ofSeconds(3)).body).get("pause"));
    }

    @Test
    void pauseAndResume() throws Exception {
        cluster.pause();
        assertThat(cluster.view().paused).isTrue();
        assertThat(cluster.dynamicConfig()).containsEntry("pause", true);
        for (PatroniNode n : cluster.nodes()) {
            assertThat(memberReportsPause(n)).as(n.name() + " paused").isTrue();
        }
        PatroniNode leader = cluster.leader();
        cluster.resume();
        assertThat(cluster.view().paused).isFalse();
        assertThat(cluster.dynamicConfig()).doesNotContainKey("pause");
        for (PatroniNode n : cluster.nodes()) {
            assertThat(memberReportsPause(n)).as(n.name() + " resumed").isFalse();
        }
        assertThat(cluster.leader()).isEqualTo(leader);
    }

    @Test
    void restoreHealthyEndsAPause() {
        cluster.pause();
        cluster.restoreHealthy(Duration.ofMinutes(1));
        assertThat(cluster.view().paused).isFalse();
    }

    @Test
    void dynamicConfigChangesAreVisibleTakeEffectAndAreRestored() {
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("ttl", 20);
        patch.put("loop_wait", 3);
        patch.put("retry_timeout", 5);
        patch.put("maximum_lag_on_failover", 2097152);
        patch.put("synchronous_mode", true);
        cluster.setDynamicConfig(patch);
        assertThat(cluster.dynamicConfig()).containsEntry("ttl", 20L).containsEntry("loop_wait", 3L)
                .containsEntry("retry_timeout", 5L).containsEntry("maximum_lag_on_failover", 2097152L)
                .containsEntry("synchronous_mode", true);
        // Patroni acts on it: a synchronous standby appears.
        Await.until("a sync_standby in GET /cluster", Duration.ofSeconds(30), () ->
                cluster.view().members.stream().anyMatch(m -> m.isSyncStandby()) ? true : null);

        cluster.restoreHealthy(Duration.ofMinutes(1));
        assertThat(cluster.dynamicConfig()).containsEntry("ttl", 10L).containsEntry("loop_wait", 2L)
                .containsEntry("retry_timeout", 4L).containsEntry("maximum_lag_on_failover", 1048576L)
                .containsEntry("synchronous_mode", false);
        Await.until("no sync_standby in GET /cluster", Duration.ofSeconds(30), () ->
                cluster.view().members.stream().noneMatch(m -> m.isSyncStandby()) ? true : null);
    }
}
