package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** A replica made to lag by stopping its WAL receiver. */
@Order(5)
@FullRig
class InducedLagIT {
    @AfterEach
    void restore(PatroniCluster cluster) {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    private static long lag(PatroniCluster cluster, PatroniNode n) {
        Long lag = cluster.view().member(n.name()).lag;
        return lag == null ? -1 : lag;
    }

    private static void write(PatroniCluster cluster, PatroniNode leader, int rows) throws Exception {
        try (Connection c = cluster.connectSuperuser(leader)) {
            ItSupport.execute(c, "create table if not exists lag_probe(id int, pad text)");
            ItSupport.execute(c, "insert into lag_probe select g, repeat('x', 200) from generate_series(1, " + rows
                    + ") g");
        }
    }

    @Test
    void lagGrowsWhileThePrimaryWritesAndClearsWhenTheHandleCloses(PatroniCluster cluster) throws Exception {
        PatroniNode leader = cluster.leader();
        PatroniNode lagging = cluster.replicas().get(0);
        PatroniNode other = cluster.replicas().get(1);
        long first;
        try (LagHandle lag = lagging.induceLag()) {
            assertThat(lag.isActive()).isTrue();
            assertThat(lag.node()).isEqualTo(lagging);
            write(cluster, leader, 20_000); // ~5 MB of WAL
            first = Await.until(lagging.name() + "'s lag in GET /cluster to exceed 1 MiB", Duration.ofSeconds(30), () -> {
                long l = lag(cluster, lagging);
                return l > 1024 * 1024 ? l : null;
            });
            write(cluster, leader, 20_000);
            long second = Await.until(lagging.name() + "'s lag to grow beyond " + first, Duration.ofSeconds(30), () -> {
                long l = lag(cluster, lagging);
                return l > first ? l : null;
            });
            System.out.printf("induced lag of %s: %d then %d bytes; %s: %d bytes%n", lagging.name(), first, second,
                    other.name(), lag(cluster, other));
            // HAProxy's read port checks /replica?lag=1MB: only the other replica is left in the pool.
            Await.until("HAProxy read port to avoid " + lagging.name(), Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 4; i++) {
                    Route r = cluster.route(cluster.haProxy().readPort());
                    if (!r.node.equals(other.name())) {
                        throw new Await.NotYet("read port reached " + r);
                    }
                }
                return true;
            });
        }
        Await.until(lagging.name() + "'s lag to return to 0", Duration.ofSeconds(30),
                () -> lag(cluster, lagging) == 0 ? true : null);
        cluster.awaitHealthy(Duration.ofSeconds(30));
    }

    @Test
    void restoreHealthyEndsAnInducedLag(PatroniCluster cluster) throws Exception {
        PatroniNode lagging = cluster.replicas().get(0);
        LagHandle lag = lagging.induceLag();
        cluster.restoreHealthy(Duration.ofMinutes(1));
        assertThat(lag.isActive()).isFalse();
        write(cluster, cluster.leader(), 100);
        Await.until(lagging.name() + " to replay again", Duration.ofSeconds(30), () -> {
            try (Connection c = cluster.connectSuperuser(lagging)) {
                return Sql.scalar(c, "select to_regclass('lag_probe')");
            }
        });
    }
}
