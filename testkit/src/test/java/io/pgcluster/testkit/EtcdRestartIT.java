package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * etcd goes away and comes back. PostgreSQL keeps running; without a DCS the leader cannot renew its key and, after
 * retry_timeout, demotes itself (Patroni 3.0 without failsafe_mode), so the cluster is read-only until etcd returns
 * and Patroni reconnects to the same keys.
 */
@Order(7)
@FullRig
class EtcdRestartIT {
    @AfterEach
    void restore(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void clusterTurnsReadOnlyWithoutEtcdAndRecoversWhenItReturns(PatroniCluster cluster) throws Exception {
        PatroniNode leader = cluster.leader();
        Map<String, Long> replicaPostmasters = new LinkedHashMap<>();
        for (PatroniNode r : cluster.replicas()) {
            replicaPostmasters.put(r.name(), r.postmaster().orElseThrow().pid());
        }
        int port = cluster.etcd().clientPort();
        long t0 = System.nanoTime();
        cluster.etcd().stop();
        assertThat(cluster.etcd().isRunning()).isFalse();

        Await.until("the leader " + leader.name() + " to demote itself without etcd", Duration.ofSeconds(30), () -> {
            for (PatroniNode n : cluster.nodes()) {
                try (Connection c = cluster.connectSuperuser(n)) {
                    if (!"t".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                        throw new Await.NotYet(n.name() + " still accepts writes");
                    }
                }
            }
            return true;
        });
        System.out.printf("etcd stopped: %s demoted, cluster read-only after %d ms%n", leader.name(),
                ItSupport.millisSince(t0));
        for (PatroniNode n : cluster.nodes()) {
            assertThat(n.isRunning()).as(n.name() + " Patroni keeps running without etcd").isTrue();
            int status = new PatroniRest().get(n.restUrl() + "/patroni", Duration.ofSeconds(3)).status;
            assertThat(status).as(n.name() + " REST API answers").isIn(200, 503);
        }
        replicaPostmasters.forEach((name, pid) -> assertThat(cluster.node(name).postmaster().map(ProcessHandle::pid))
                .as(name + "'s PostgreSQL was not restarted").contains(pid));

        long t1 = System.nanoTime();
        cluster.etcd().start();
        assertThat(cluster.etcd().isRunning()).isTrue();
        assertThat(cluster.etcd().clientPort()).isEqualTo(port);
        PatroniNode now = cluster.awaitLeaderOtherThan("(none)", Duration.ofSeconds(30));
        long writable = ItSupport.millisSince(t1);
        cluster.awaitHealthy(Duration.ofSeconds(60));
        System.out.printf("etcd started: writable leader %s after %d ms, healthy after %d ms%n", now.name(), writable,
                ItSupport.millisSince(t1));
        // Same DCS data (same data dir): the dynamic configuration survived.
        assertThat(cluster.dynamicConfig()).containsEntry("ttl", 10L);
    }
}
