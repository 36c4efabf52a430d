package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** restoreHealthy() repairs everything a test may leave broken, all at once. */
@Order(8)
@FullRig
class RestoreHealthyIT {
    @Test
    void repairsEverythingAtOnce(PatroniCluster cluster) {
        PatroniNode leader = cluster.leader();
        PatroniNode lagging = cluster.replicas().get(0);
        PatroniNode stopped = cluster.replicas().get(1);

        cluster.setDynamicConfig(Map.of("ttl", 30, "maximum_lag_on_failover", 4194304));
        cluster.pause();
        LagHandle lag = lagging.induceLag();
        cluster.faultProxy(leader).blackhole();    // replication and HAProxy's write path stall
        cluster.faultProxy(lagging).latency(Duration.ofMillis(300));
        cluster.etcdFaultProxy().blackhole();
        stopped.stop();
        cluster.etcd().stop();

        long t0 = System.nanoTime();
        cluster.restoreHealthy(Duration.ofMinutes(2));
        System.out.printf("restoreHealthy repaired pause, config, lag, proxies, a stopped member and etcd in %d ms%n",
                ItSupport.millisSince(t0));

        assertThat(lag.isActive()).isFalse();
        assertThat(stopped.isRunning()).isTrue();
        assertThat(cluster.etcd().isRunning()).isTrue();
        assertThat(cluster.view().paused).isFalse();
        assertThat(cluster.dynamicConfig()).containsEntry("ttl", 10L).containsEntry("maximum_lag_on_failover", 1048576L)
                .doesNotContainKey("pause");
        for (PatroniNode n : cluster.nodes()) {
            assertThat(cluster.faultProxy(n).toString()).contains(", pass,");
        }
        assertThat(cluster.etcdFaultProxy().toString()).contains(", pass,");
        assertThat(cluster.replicas()).hasSize(2);
    }
}
