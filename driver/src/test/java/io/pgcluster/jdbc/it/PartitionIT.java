package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host lost silently (power loss or a network partition: no RST, no FIN). The driver reaches every node through a
 * fault proxy; the proxy of the lost node is blackholed before the node is killed, so connections to it stay open
 * and answer nothing, as over a real network. Statements in flight there must not hang: once Patroni's key for the
 * member expires (ttl), the member leaves the topology and pgcluster aborts what still runs there, so reads move on
 * invisibly and writes either resume on the new leader or fail with a documented SQLState.
 */
@PatroniClusterTest
@ClusterConfig(faultProxies = true)
class PartitionIT {
    private static final Logger log = LoggerFactory.getLogger(PartitionIT.class);
    /** After the topology drops the lost member, how long a statement may still take (aborts, retries, slices). */
    private static final long MARGIN_MILLIS = 5_000;

    private PatroniCluster cluster;
    /** When each workload thread started the operation it is running now. */
    private final Map<Thread, Long> inFlight = new ConcurrentHashMap<>();

    @AfterEach
    void restore() {
        if (cluster != null) {
            cluster.restoreHealthy(Duration.ofMinutes(2));
        }
    }

    @Test
    void readsInFlightOnAReplicaLostSilentlyMoveOn(PatroniCluster cluster) throws Exception {
        this.cluster = cluster;
        PatroniNode lost = cluster.replicas().get(0);
        AtomicLong longestRead = new AtomicLong();
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build());
                Workload w = new Workload(2)) {
            RoutingIT.awaitReplicasCurrent(Sources.ETCD, cluster, ds);
            // a slow read, so that some are in flight on the lost replica when it goes
            w.reader("unit-of-work", seq -> timed(longestRead, () -> ds.inTransaction(TransactionMode.READ_ONLY,
                    c -> slowWhere(c))));
            w.reader("autocommit", seq -> timed(longestRead, () -> {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    return slowWhere(c);
                }
            }));
            Awaits.until(Duration.ofSeconds(10), "reads on " + lost.name(),
                    () -> w.placed("read", lost.name() + "/replica") > 4);

            long t0 = System.nanoTime();
            cluster.faultProxy(lost).blackhole();
            lost.kill9();
            Awaits.until(Duration.ofSeconds(40), lost.name() + " gone from the topology",
                    () -> ds.topology().member(lost.name()) == null);
            long goneAt = System.nanoTime();
            long goneMillis = (goneAt - t0) / 1_000_000L;
            awaitNothingInFlightSince(goneAt, "read");
            long readsThen = w.reads();
            Awaits.until(Duration.ofSeconds(20), "reads going on", () -> w.reads() > readsThen + 20);
            w.close();
            log.info("replica {} lost silently: gone from the topology after {} ms; longest read {} ms; {}",
                    lost.name(), goneMillis, longestRead.get(), w.summary());
            assertThat(w.failures("read")).as("no failed read: %s", w.failures()).isZero();
        }
    }

    @Test
    void writesInFlightOnALeaderLostSilentlyEndAndResumeOnTheNewOne(PatroniCluster cluster) throws Exception {
        this.cluster = cluster;
        PatroniNode lost = cluster.leader();
        AtomicLong newLeaderSeen = new AtomicLong();
        AtomicLong longestWrite = new AtomicLong();
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build());
                Workload w = new Workload(2)) {
            ds.addTopologyListener((previous, current) -> {
                if (current.leader() != null && !current.leader().name().equals(lost.name())) {
                    newLeaderSeen.compareAndSet(0, System.nanoTime());
                }
            });
            w.writer("idempotent", seq -> timed(longestWrite, () -> ds.inTransaction(
                    TransactionMode.READ_WRITE_IDEMPOTENT, c -> slowWhere(c))));
            w.writer("tx", seq -> timed(longestWrite, () -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    String where = slowWhere(c);
                    c.commit();
                    return where;
                }
            }));
            w.reader("unit-of-work", seq -> ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster,
                    c)));
            Awaits.until(Duration.ofSeconds(10), "writes on " + lost.name(),
                    () -> w.placed("write", lost.name() + "/primary") > 4);

            long t0 = System.nanoTime();
            cluster.faultProxy(lost).blackhole();
            lost.kill9();
            Awaits.until(Duration.ofSeconds(60), "a new leader in the topology", () -> newLeaderSeen.get() != 0);
            long newLeaderMillis = (newLeaderSeen.get() - t0) / 1_000_000L;
            awaitNothingInFlightSince(newLeaderSeen.get(), "write");
            String newLeader = ds.topology().leader().name();
            Awaits.until(Duration.ofSeconds(20), "writes on the new leader " + newLeader,
                    () -> w.placed("write", newLeader + "/primary") > 20);
            w.close();
            log.info("leader {} lost silently: new leader {} seen after {} ms; longest write {} ms; {}", lost.name(),
                    newLeader, newLeaderMillis, longestWrite.get(), w.summary());
            assertThat(w.failures("read")).as("no failed read: %s", w.failures()).isZero();
            assertThat(w.failures().keySet()).as("only the plain transactions in flight fail, with 08006/08007")
                    .isSubsetOf(Set.of("write:08006", "write:08007"));
            assertThat(w.failures("write")).as("at most one in-flight plain transaction per writer")
                    .isLessThanOrEqualTo(1);
        }
    }

    /**
     * Every operation that was running when the topology changed ends within the margin: one still running then is
     * held by the lost host (an operation that started before the change on a healthy member takes milliseconds).
     */
    private void awaitNothingInFlightSince(long changeAt, String what) throws InterruptedException {
        Awaits.until(Duration.ofMillis(MARGIN_MILLIS), "no " + what + " still running from before the change",
                () -> inFlight.values().stream().allMatch(started -> started - changeAt > 0));
    }

    /** Where the statement ran, 20 ms later: long enough for statements to be in flight when a host is lost. */
    private String slowWhere(Connection c) throws java.sql.SQLException {
        try (var s = c.createStatement()) {
            s.execute("SELECT pg_sleep(0.02)");
        }
        return Sources.where(cluster, c);
    }

    @FunctionalInterface
    private interface Op {
        String run() throws Exception;
    }

    private String timed(AtomicLong longest, Op op) throws Exception {
        long t0 = System.nanoTime();
        inFlight.put(Thread.currentThread(), t0);
        try {
            return op.run();
        } finally {
            inFlight.remove(Thread.currentThread());
            longest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000L, Math::max);
        }
    }
}
