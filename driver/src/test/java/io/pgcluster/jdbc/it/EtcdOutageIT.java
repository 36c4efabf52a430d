package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd stopped: traffic continues on the last topology, which is flagged as unconfirmed; etcd back: the watch
 * resumes and a later switchover is followed. Patroni runs with failsafe_mode, as production clusters should, so
 * that its primary keeps running while the DCS is down.
 */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class EtcdOutageIT {
    private static final Logger log = LoggerFactory.getLogger(EtcdOutageIT.class);
    private PatroniCluster cluster;

    @Test
    void trafficContinuesAndTheWatchResumes(PatroniCluster cluster) throws Exception {
        this.cluster = cluster;
        cluster.setDynamicConfig(Map.of("failsafe_mode", true));
        String table = "etcd_outage";
        Tables.recreate(cluster, table);
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build());
                Workload w = new Workload(5)) {
            w.writer("idempotent", seq -> ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> {
                try (var ps = c.prepareStatement("INSERT INTO " + table + "(id) VALUES (?) ON CONFLICT DO NOTHING")) {
                    ps.setLong(1, seq);
                    ps.executeUpdate();
                }
                return Sources.where(cluster, c);
            }));
            w.reader("autocommit", seq -> Sources.readWhere(ds, cluster));
            Awaits.until(Duration.ofSeconds(10), "traffic", () -> w.writes() > 20 && w.reads() > 20);

            cluster.etcd().stop();
            Awaits.until(Duration.ofSeconds(10), "the topology flagged as unconfirmed",
                    () -> !ds.topology().sourceReachable());
            long writes = w.writes();
            long reads = w.reads();
            Thread.sleep(3000);
            assertThat(w.writes()).as("writes go on during the outage").isGreaterThan(writes + 20);
            assertThat(w.reads()).as("reads go on during the outage").isGreaterThan(reads + 20);
            assertThat(ds.topology().leader()).as("last topology kept").isNotNull();

            cluster.etcd().start();
            Awaits.until(Duration.ofSeconds(30), "etcd reachable again", () -> ds.topology().sourceReachable());
            cluster.awaitHealthy(Duration.ofSeconds(60));
            PatroniNode newLeader = cluster.switchover();
            Awaits.until(Duration.ofSeconds(30), "pgcluster following the switchover to " + newLeader.name(),
                    () -> ds.topology().leader() != null && ds.topology().leader().name().equals(newLeader.name()));
            Awaits.until(Duration.ofSeconds(30), "writes on " + newLeader.name(),
                    () -> w.placed("write", newLeader.name() + "/primary") >= 10);
            w.close();
            log.info("etcd outage: {}", w.summary());
            assertThat(w.failures("read")).as("no failed reads: %s", w.failures()).isZero();
            assertThat(w.failures("write")).as("no failed unit-of-work writes: %s", w.failures()).isZero();
        }
    }

    @AfterEach
    void restore() {
        if (cluster != null) {
            cluster.restoreHealthy(Duration.ofSeconds(90));
            cluster.setDynamicConfig(Map.of("failsafe_mode", false));
        }
    }
}
