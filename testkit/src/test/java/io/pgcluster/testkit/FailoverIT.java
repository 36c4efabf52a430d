package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** kill -9 of the primary: a replica takes over within ttl plus a margin. The most destructive, so last. */
@Order(9)
@FullRig
class FailoverIT {
    @AfterEach
    void restore(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void killingThePrimaryElectsANewLeaderWithinTtl(PatroniCluster cluster) throws Exception {
        long ttl = (Long) cluster.dynamicConfig().get("ttl");
        PatroniNode old = cluster.leader();
        ProcessHandle postmaster = old.postmaster().orElseThrow();
        long t0 = System.nanoTime();
        PatroniNode killed = cluster.killPrimary();
        assertThat(killed).isEqualTo(old);
        assertThat(old.isRunning()).isFalse();
        assertThat(Signals.isRunning(postmaster)).isFalse();
        assertThat(old.postmaster()).isEmpty();

        PatroniNode now = cluster.awaitLeaderOtherThan(old.name(), Duration.ofSeconds(ttl + 20));
        long ms = ItSupport.millisSince(t0);
        ItSupport.awaitRoute(cluster, "HAProxy write port", cluster.haProxy().writePort(), now.name(), false,
                Duration.ofSeconds(20));
        long haproxy = ItSupport.millisSince(t0);
        System.out.printf("kill -9 of %s: new leader %s writable after %d ms, HAProxy write port after %d ms "
                + "(ttl %d s)%n", old.name(), now.name(), ms, haproxy, ttl);
        assertThat(ms).as("failover time with ttl %d s", ttl).isLessThan((ttl + 10) * 1000);

        cluster.restoreHealthy(Duration.ofMinutes(2));
        assertThat(old.isRunning()).isTrue();
        assertThat(cluster.replicas()).contains(old);
        try (Connection c = cluster.connectSuperuser(old)) {
            assertThat(Sql.scalar(c, "select pg_is_in_recovery()")).as("old primary rejoined as replica").isEqualTo("t");
        }
    }
}
