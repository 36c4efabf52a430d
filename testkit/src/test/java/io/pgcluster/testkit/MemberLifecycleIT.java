package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Graceful stop and start of members. */
@Order(6)
@FullRig
class MemberLifecycleIT {
    @AfterEach
    void restore(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void stoppedReplicaLeavesTheClusterAndRejoinsOnStart(PatroniCluster cluster) throws Exception {
        PatroniNode replica = cluster.replicas().get(0);
        ProcessHandle postmaster = replica.postmaster().orElseThrow();
        replica.stop();
        assertThat(replica.isRunning()).isFalse();
        assertThat(Signals.isRunning(postmaster)).as("PostgreSQL stopped with Patroni").isFalse();
        assertThatThrownBy(() -> cluster.connectSuperuser(replica).close()).isInstanceOf(SQLException.class);
        // Patroni 3.0.2 marks its member key "stopped" (it expires after ttl) rather than deleting it.
        ClusterView.Member m = cluster.view().member(replica.name());
        assertThat(m == null || m.state.equals("stopped")).as("member after stop: " + m).isTrue();
        assertThat(cluster.replicas()).doesNotContain(replica).hasSize(1);

        replica.start();
        assertThat(replica.isRunning()).isTrue();
        cluster.awaitHealthy(Duration.ofSeconds(60));
        assertThat(cluster.replicas()).contains(replica);
        try (Connection c = cluster.connectSuperuser(replica)) {
            assertThat(Sql.scalar(c, "select pg_is_in_recovery()")).isEqualTo("t");
        }
    }

    @Test
    void stoppingTheLeaderReleasesTheLeaderKey(PatroniCluster cluster) {
        PatroniNode leader = cluster.leader();
        long t0 = System.nanoTime();
        leader.stop();
        long stopped = ItSupport.millisSince(t0);
        PatroniNode next = cluster.awaitLeaderOtherThan(leader.name(), Duration.ofSeconds(30));
        long elected = ItSupport.millisSince(t0);
        System.out.printf("graceful stop of leader %s: %d ms; new leader %s writable after %d ms%n", leader.name(),
                stopped, next.name(), elected);
        assertThat(next).isNotEqualTo(leader);
        leader.start();
        cluster.awaitHealthy(Duration.ofSeconds(60));
        assertThat(cluster.replicas()).contains(leader);
    }
}
