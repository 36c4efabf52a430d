package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.LagHandle;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A replica lagging past maxReplicaLag gets no reads; with no eligible replica, readFallback decides. */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class ReplicaLagIT {
    private static final long MAX_LAG = 1 << 20;

    @Test
    @SuppressWarnings("try") // the lag handles are used for their close()
    void laggingReplicasGetNoReads(PatroniCluster cluster) throws Exception {
        Tables.recreate(cluster, "lag_fill");
        PatroniNode first = cluster.replicas().get(0);
        PatroniNode second = cluster.replicas().get(1);
        try (PgClusterDataSource leaderFallback = new PgClusterDataSource(Sources.ETCD.config(cluster)
                .maxReplicaLag(MAX_LAG).build());
                PgClusterDataSource failFallback = new PgClusterDataSource(Sources.ETCD.config(cluster).name("it-fail")
                        .maxReplicaLag(MAX_LAG).set("readFallback", "fail").build())) {
            awaitLags(leaderFallback, Set.of(), Set.of(first.name(), second.name()));
            try (LagHandle firstLags = first.induceLag()) {
                fill(cluster, 1);
                // Patroni reports positions once per loop_wait: wait until the picture is exactly this one
                awaitLags(leaderFallback, Set.of(first.name()), Set.of(second.name()));
                awaitReadPlaces(cluster, leaderFallback, Set.of(second.name() + "/replica"));

                try (LagHandle secondLags = second.induceLag()) {
                    fill(cluster, 2);
                    awaitLags(leaderFallback, Set.of(first.name(), second.name()), Set.of());
                    awaitReadPlaces(cluster, leaderFallback, Set.of(cluster.leader().name() + "/primary"));
                    awaitLags(failFallback, Set.of(first.name(), second.name()), Set.of());
                    assertThatThrownBy(() -> readPlaces(cluster, failFallback))
                            .isInstanceOf(SQLException.class)
                            .hasMessageContaining("readFallback=fail").hasMessageContaining("maxReplicaLag")
                            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
                }
            }
            awaitLags(leaderFallback, Set.of(), Set.of(first.name(), second.name()));
            awaitReadPlaces(cluster, leaderFallback, Set.of(first.name() + "/replica", second.name() + "/replica"));
        }
    }

    /** Writes about 8 MB of WAL on the leader. */
    private static void fill(PatroniCluster cluster, int round) throws Exception {
        try (Connection c = Tables.direct(cluster, cluster.leader()); Statement s = c.createStatement()) {
            s.execute("INSERT INTO lag_fill(id, payload) SELECT g + " + round * 1_000_000
                    + ", repeat(md5(g::text), 32) FROM generate_series(1, 8000) g");
        }
    }

    /** Waits until exactly {@code lagging} lag more than MAX_LAG and {@code current} are known within it. */
    private static void awaitLags(PgClusterDataSource ds, Set<String> lagging, Set<String> current)
            throws InterruptedException {
        Awaits.until(Duration.ofSeconds(30), lagging + " lagging more than " + MAX_LAG + " bytes and " + current
                + " within it", () -> {
                    for (String name : lagging) {
                        Member m = ds.topology().member(name);
                        if (m == null || m.lagBytes() <= MAX_LAG) {
                            return false;
                        }
                    }
                    for (String name : current) {
                        Member m = ds.topology().member(name);
                        if (m == null || !m.isRunning() || m.lagBytes() < 0 || m.lagBytes() > MAX_LAG) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /**
     * Waits (10 s at most) until 20 reads in a row run exactly at {@code expected}. The data source's topology is
     * published a moment before routing applies it (listeners run after the snapshot is visible), so the first read
     * after {@link #awaitLags} may still follow the previous picture; a wrong routing fails here after the wait.
     */
    private static void awaitReadPlaces(PatroniCluster cluster, PgClusterDataSource ds, Set<String> expected)
            throws InterruptedException {
        Awaits.until(Duration.ofSeconds(10), "20 reads at exactly " + expected, () -> {
            try {
                return readPlaces(cluster, ds).equals(expected);
            } catch (SQLException e) {
                throw new AssertionError("a read failed", e);
            }
        });
    }

    private static Set<String> readPlaces(PatroniCluster cluster, PgClusterDataSource ds) throws SQLException {
        Set<String> places = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true);
                places.add(Sources.where(cluster, c));
            }
        }
        return places;
    }
}
