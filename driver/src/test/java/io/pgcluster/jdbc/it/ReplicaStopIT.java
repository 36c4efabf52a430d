package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A replica stopped: reads move to the other one with no failed read; back up, it gets reads again. */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class ReplicaStopIT {
    private static final Logger log = LoggerFactory.getLogger(ReplicaStopIT.class);

    @Test
    void readsMoveAwayAndComeBack(PatroniCluster cluster) throws Exception {
        PatroniNode stopped = cluster.replicas().get(0);
        PatroniNode other = cluster.replicas().get(1);
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build());
                Workload w = new Workload(2)) {
            w.reader("autocommit", seq -> Sources.readWhere(ds, cluster));
            w.reader("unit-of-work", seq -> ds.inTransaction(TransactionMode.READ_ONLY,
                    c -> Sources.where(cluster, c)));
            Awaits.until(Duration.ofSeconds(10), "reads on both replicas",
                    () -> w.placed("read", stopped.name() + "/replica") > 10
                            && w.placed("read", other.name() + "/replica") > 10);

            stopped.stop();
            Awaits.until(Duration.ofSeconds(20), stopped.name() + " gone from the topology",
                    () -> ds.topology().replicas().stream().noneMatch(m -> m.name().equals(stopped.name())));
            long onStopped = w.placed("read", stopped.name() + "/replica");
            long onOther = w.placed("read", other.name() + "/replica");
            Thread.sleep(1500);
            assertThat(w.placed("read", stopped.name() + "/replica")).as("no reads on the stopped replica")
                    .isEqualTo(onStopped);
            assertThat(w.placed("read", other.name() + "/replica")).isGreaterThan(onOther + 20);

            stopped.start();
            Awaits.until(Duration.ofSeconds(60), stopped.name() + " back as a running replica",
                    () -> ds.topology().replicas().stream().map(Member::name).anyMatch(stopped.name()::equals));
            Awaits.until(Duration.ofSeconds(20), "reads on " + stopped.name() + " again",
                    () -> w.placed("read", stopped.name() + "/replica") > onStopped + 10);
            w.close();
            log.info("replica stop/start: {}", w.summary());
            assertThat(w.failures("read")).as("no failed read: %s", w.failures()).isZero();
        }
    }
}
