package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kill -9 of the primary as the etcd source sees it. etcd deletes the keys of the dead Patroni's lease ({@code leader}
 * and {@code members/<name>}) in one revision: both must leave the topology, so the dead member is gone within the
 * lease's ttl (plus a second), and at no moment do two members have role primary.
 */
@PatroniClusterTest
@ClusterConfig(haProxy = true) // shares the cluster of the other etcd ITs
class EtcdLeaseExpiryIT {
    private static final Logger log = LoggerFactory.getLogger(EtcdLeaseExpiryIT.class);
    private PatroniCluster cluster;

    @Test
    void theDeadPrimaryLeavesWithinTtlAndThereIsNeverASecondPrimary(PatroniCluster cluster) throws Exception {
        this.cluster = cluster;
        cluster.restoreHealthy(Duration.ofSeconds(90));
        int ttlSeconds = ((Number) cluster.dynamicConfig().get("ttl")).intValue();
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicLong published = new AtomicLong();
        AtomicLong sampled = new AtomicLong();
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).build())) {
            // every snapshot the source publishes, and what a reader sees at any moment
            ds.addTopologyListener((previous, current) -> {
                published.incrementAndGet();
                check(current, "published", violations);
            });
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    check(ds.topology(), "sampled", violations);
                    sampled.incrementAndGet();
                    LockSupport.parkNanos(500_000); // about 2,000 samples a second, without taking a core
                }
            }, "pgcluster-it-topology-sampler");
            sampler.setDaemon(true);
            sampler.start();
            try {
                String oldLeader = cluster.leader().name();
                Awaits.until(Duration.ofSeconds(10), "pgcluster following leader " + oldLeader,
                        () -> ds.topology().leader() != null && ds.topology().leader().name().equals(oldLeader)
                                && ds.topology().members().size() == cluster.nodes().size());

                long killedAt = System.nanoTime();
                PatroniNode killed = cluster.killPrimary();
                Awaits.until(Duration.ofSeconds(ttlSeconds + 5), killed.name() + " leaving pgcluster's topology",
                        () -> ds.topology().member(killed.name()) == null);
                long goneAfterMillis = (System.nanoTime() - killedAt) / 1_000_000L;

                PatroniNode newLeader = cluster.awaitLeaderOtherThan(killed.name(), Duration.ofSeconds(60));
                Awaits.until(Duration.ofSeconds(10), "pgcluster following the new leader " + newLeader.name(),
                        () -> ds.topology().leader() != null
                                && ds.topology().leader().name().equals(newLeader.name())
                                && ds.topology().leader().role() == Role.PRIMARY);
                Thread.sleep(1000); // a moment after the takeover, when a stale primary would still show
                log.info("kill -9 of {}: gone from pgcluster's topology after {} ms (ttl {} s); new leader {}; "
                        + "{} snapshots published, {} sampled", killed.name(), goneAfterMillis, ttlSeconds,
                        newLeader.name(), published.get(), sampled.get());
                assertThat(goneAfterMillis).as("the dead member left within ttl + 1 s")
                        .isLessThanOrEqualTo(ttlSeconds * 1000L + 1000L);
                assertThat(ds.topology().member(killed.name())).as("the dead member stays gone").isNull();
            } finally {
                sampling.set(false);
                sampler.join(5000);
            }
            assertThat(sampled.get()).as("the sampler ran").isPositive();
            assertThat(violations).as("never two members with role primary").isEmpty();
        }
    }

    private static void check(Topology t, String how, Queue<String> violations) {
        List<Member> primaries = t.members().stream().filter(m -> m.role() == Role.PRIMARY).toList();
        if (primaries.size() > 1 && violations.size() < 20) {
            violations.add(how + ": " + primaries.stream().map(Member::toString).collect(Collectors.joining(", ")));
        }
    }

    @AfterEach
    void restore() {
        if (cluster != null) {
            cluster.restoreHealthy(Duration.ofSeconds(90));
        }
    }
}
