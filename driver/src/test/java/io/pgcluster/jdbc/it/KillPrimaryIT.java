package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** kill -9 of the primary: writes resume once Patroni elects a new leader; reads never stop. */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class KillPrimaryIT {
    private static final Logger log = LoggerFactory.getLogger(KillPrimaryIT.class);

    @Test
    void writesResumeOnTheNewLeader(PatroniCluster cluster) throws Exception {
        writesResumeOnTheNewLeader(Sources.ETCD, cluster);
    }

    /** The body, for any source whose DCS the cluster runs (ConsulIT). */
    void writesResumeOnTheNewLeader(Sources source, PatroniCluster cluster) throws Exception {
        writesResumeOnTheNewLeader(source.name().toLowerCase(), source.config(cluster), cluster);
    }

    /** The body, for any configuration of the cluster (PoolerPerNodeIT: through the poolers); label names the table. */
    void writesResumeOnTheNewLeader(String label, PgClusterConfig.Builder config, PatroniCluster cluster)
            throws Exception {
        String table = "kill_primary_" + label;
        Tables.recreate(cluster, table);
        String oldLeader = cluster.leader().name();
        AtomicLong newLeaderSeen = new AtomicLong();
        try (PgClusterDataSource ds = new PgClusterDataSource(config.build());
                Workload w = new Workload(5)) {
            ds.addTopologyListener((previous, current) -> {
                if (current.leader() != null && !current.leader().name().equals(oldLeader)) {
                    newLeaderSeen.compareAndSet(0, System.nanoTime());
                }
            });
            w.writer("idempotent", seq -> ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> {
                try (var ps = c.prepareStatement("INSERT INTO " + table + "(id) VALUES (?) ON CONFLICT DO NOTHING")) {
                    ps.setLong(1, seq);
                    ps.executeUpdate();
                }
                return Sources.where(cluster, c);
            }));
            w.writer("tx", seq -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    try (var ps = c.prepareStatement("INSERT INTO " + table + "(id) VALUES (?)")) {
                        ps.setLong(1, seq);
                        ps.executeUpdate();
                    }
                    String where = Sources.where(cluster, c);
                    c.commit();
                    return where;
                }
            });
            w.reader("autocommit", seq -> Sources.readWhere(ds, cluster));
            Thread.sleep(1000);
            long killedAt = System.nanoTime();
            PatroniNode killed = cluster.killPrimary();
            PatroniNode newLeader = cluster.awaitLeaderOtherThan(killed.name(), Duration.ofSeconds(60));
            Awaits.until(Duration.ofSeconds(30), "writes on " + newLeader.name(),
                    () -> w.placed("write", newLeader.name() + "/primary") >= 10);
            w.close();

            long seen = newLeaderSeen.get();
            long firstWrite = w.firstWriteAfter(seen);
            log.info("{}: kill -9 of {}: new leader {} seen by pgcluster {} ms after the kill; first successful write "
                    + "{} ms after the new leader key; longest write gap {} ms; {}", label, killed.name(),
                    newLeader.name(), (seen - killedAt) / 1_000_000L, (firstWrite - seen) / 1_000_000L,
                    w.longestWriteGapMillis(), w.summary());
            assertThat(seen).as("pgcluster saw the new leader").isPositive();
            assertThat(firstWrite).as("a write succeeded after the new leader appeared").isPositive();
            assertThat(w.failures("read")).as("reads never failed: %s", w.failures()).isZero();
            assertThat(w.failures().keySet()).as("documented SQLStates only: %s", w.failures())
                    .allSatisfy(k -> assertThat(Set.of("write:08001", "write:08006", "write:08007")).contains(k));
            assertThat(w.failures()).as("the unit-of-work writer never failed").doesNotContainKey("idempotent");
        }
    }
}
