package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.metrics.ClusterMetrics;
import io.pgcluster.jdbc.internal.routing.StatementClassifier;
import io.pgcluster.jdbc.topology.Topology;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How a cluster is wired from its configuration, on a data source that never needs a server. */
class ClusterWiringTest {

    private static PgClusterConfig.Builder config() {
        return PgClusterConfig.builder().endpoints("127.0.0.1:1", "127.0.0.1:2").name("wiring")
                .database("db").user("app").password("secret").set("minIdle", "0");
    }

    private static PgClusterConfig config(String autoCommitReads, String readYourWrites) {
        return config().set("autoCommitReads", autoCommitReads).set("readYourWrites", readYourWrites).build();
    }

    @Test
    void theTextClassifierAndItsCacheAreMadeOnlyWhenASettingUsesThem() {
        assertThat(Cluster.textsFor(config("leader", "off"))).isSameAs(StatementClassifier.LEADER_ONLY);
        assertThat(Cluster.textsFor(config("replica", "off")).routesReads()).isTrue();
        assertThat(Cluster.textsFor(config("leader", "jvm")).routesReads()).isTrue();
        assertThat(Cluster.textsFor(config("replica", "jvm")).routesReads()).isTrue();
    }

    @Test
    void readYourWritesAloneClassifiesTextsButRoutesEverythingToTheLeader() {
        try (PgClusterDataSource ds = new PgClusterDataSource(config("leader", "jvm"))) {
            Cluster cluster = ds.cluster();
            assertThat(cluster.classifier()).isSameAs(StatementClassifier.LEADER_ONLY);
            assertThat(cluster.positions().mayWrite("SELECT 1")).isFalse();
            assertThat(cluster.positions().mayWrite("INSERT INTO t VALUES (1)")).isTrue();
        }
    }

    /**
     * A published snapshot reaches the view (and its listeners, metrics first) before routing applies it; the data
     * source's topology is the routing's, so it never shows what routing does not use yet (ReplicaLagIT once saw
     * a read routed by the older snapshot after topology() showed the newer one).
     */
    @Test
    void topologyIsTheSnapshotRoutingActsOn() throws Exception {
        CountDownLatch inListener = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        try (PgClusterDataSource ds = new PgClusterDataSource(config().build())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!ds.topology().isKnown() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Topology routed = ds.topology();
            assertThat(routed.isKnown()).isTrue();
            assertThat(routed.sourceReachable()).isTrue();
            // the metrics hub hears a snapshot before routing applies it: hold the snapshot there
            ds.addMetrics(new ClusterMetrics() {
                @Override
                public void onTopology(Topology previous, Topology current) {
                    if (!current.sourceReachable()) {
                        inListener.countDown();
                        try {
                            letGo.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            });
            Thread publisher = new Thread(() -> ds.cluster().view().sourceUnreachable("test: source gone"));
            publisher.start();
            try {
                assertThat(inListener.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(ds.cluster().view().current().sourceReachable()).isFalse(); // published
                assertThat(ds.topology()).isSameAs(routed); // not applied yet
            } finally {
                letGo.countDown();
                publisher.join(10_000);
            }
            assertThat(ds.topology().sourceReachable()).isFalse();
            assertThat(ds.topology()).isSameAs(ds.cluster().view().current());
        }
    }
}
