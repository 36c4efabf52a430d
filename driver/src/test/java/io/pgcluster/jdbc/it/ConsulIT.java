package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.PgClusterDriver;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.ConsulServer;
import io.pgcluster.testkit.Dcs;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consul source against a cluster whose DCS is a Consul agent (the driver reaches it through a fault proxy;
 * Patroni directly): the routing, switchover, drain and kill -9 checks every other source passes (the same test
 * bodies as {@link RoutingIT}, {@link SwitchoverIT}, {@link SwitchoverDrainIT} and {@link KillPrimaryIT}), the
 * {@code jdbc:pgcluster:consul://} URL through DriverManager, an outage seen by the driver only, an agent restart
 * (the dev agent comes back with an empty KV store and a lower index), and the time from the leader key's change to
 * routing.
 */
@PatroniClusterTest
@ClusterConfig(dcs = Dcs.CONSUL, faultProxies = true)
class ConsulIT {
    private static final Logger log = LoggerFactory.getLogger(ConsulIT.class);

    @AfterEach
    void restore(PatroniCluster cluster) {
        PgClusterDriver.closeAll();
        cluster.consulFaultProxy().pass();
        if (!cluster.consul().isRunning()) {
            cluster.consul().start();
        }
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void readOnlyWorkRunsOnReplicasAndTheRestOnTheLeader(PatroniCluster cluster) throws Exception {
        new RoutingIT().readOnlyWorkRunsOnReplicasAndTheRestOnTheLeader(Sources.CONSUL, cluster);
    }

    @Test
    void switchoverUnderLoad(PatroniCluster cluster) throws Exception {
        new SwitchoverIT().switchoverUnderLoad(Sources.CONSUL, cluster);
    }

    /** Patroni's failover key arrives through the blocking query in time: no write fails, inTransaction or not. */
    @Test
    void drainedSwitchoversFailNoWrite(PatroniCluster cluster) throws Exception {
        SwitchoverDrainIT.drainedSwitchoversFailNoWrite(Sources.CONSUL, cluster, 2);
    }

    @Test
    void killPrimaryUnderLoad(PatroniCluster cluster) throws Exception {
        new KillPrimaryIT().writesResumeOnTheNewLeader(Sources.CONSUL, cluster);
    }

    @Test
    void driverManagerUrl(PatroniCluster cluster) throws Exception {
        DriverIT.oneSharedClusterRoutesEveryConnection(Sources.CONSUL, cluster,
                "jdbc:pgcluster:consul://" + cluster.consulClientAddress() + "/");
    }

    /**
     * The driver loses Consul (its proxy holds every byte, so the blocking query just goes silent) while Patroni keeps
     * it: the reachability check cuts the query short, the last topology stays, marked unreachable; a switchover made
     * meanwhile is read after the outage.
     */
    @Test
    void anOutageKeepsTheLastTopologyAndTheNextReadBringsWhatWasMissed(PatroniCluster cluster) throws Exception {
        ZooKeeperIT.outageSeenByTheDriverOnly(Sources.CONSUL, cluster, cluster.consulFaultProxy());
    }

    /**
     * The agent itself stops and starts again (Patroni loses it too). A dev agent comes back with an empty KV store
     * that Patroni writes anew, at a lower index: the source must not keep blocking on the old index. Reads continue
     * while it is down, writes resume once Patroni has its leader key again, and a later switchover is followed.
     */
    @Test
    void anAgentRestartIsSurvivedAndALaterSwitchoverIsFollowed(PatroniCluster cluster) throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.CONSUL.config(cluster).build())) {
            String leader = cluster.leader().name();
            Awaits.until(Duration.ofSeconds(10), "the first topology", () -> ds.topology().leader() != null);

            ConsulServer consul = cluster.consul();
            consul.stop();
            Awaits.until(Duration.ofSeconds(20), "the topology flagged as unconfirmed",
                    () -> !ds.topology().sourceReachable());
            assertThat(ds.topology().leader().name()).as("last topology kept").isEqualTo(leader);
            String read = ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c));
            assertThat(read).as("reads go on while the agent is down").endsWith("/replica");
            consul.start();
            Awaits.until(Duration.ofSeconds(60), "the source reachable again with a leader",
                    () -> ds.topology().sourceReachable() && ds.topology().leader() != null);
            cluster.restoreHealthy(Duration.ofMinutes(2));
            PatroniNode before = cluster.leader();
            ZooKeeperIT.awaitWriteOn(before, ds, cluster);

            PatroniNode next = cluster.switchover();
            Awaits.until(Duration.ofSeconds(20), "the switchover to " + next.name() + " followed",
                    () -> ds.topology().leader() != null && ds.topology().leader().name().equals(next.name()));
            ZooKeeperIT.awaitWriteOn(next, ds, cluster);
        }
    }

    /**
     * Detection time: from the moment Consul's leader key names the new leader (seen by polling the agent directly
     * every 5 ms) to the moment the data source's topology does. Logged, never asserted (timing is the benchmark's).
     */
    @Test
    void detectionTimeFromTheLeaderKeyToRouting(PatroniCluster cluster) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI leaderKey = URI.create(cluster.consul().url() + "/v1/kv/" + cluster.consul().keyPrefix() + "leader?raw");
        List<Long> samples = new ArrayList<>();
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.CONSUL.config(cluster).build())) {
            for (int i = 0; i < 3; i++) {
                cluster.restoreHealthy(Duration.ofMinutes(2));
                Awaits.until(Duration.ofSeconds(10), "the topology", () -> ds.topology().leader() != null
                        && ds.topology().leader().name().equals(cluster.leader().name()));
                String old = cluster.leader().name();
                AtomicLong seenByDriver = new AtomicLong();
                ds.addTopologyListener((previous, current) -> {
                    if (current.leader() != null && !current.leader().name().equals(old)) {
                        seenByDriver.compareAndSet(0, System.nanoTime());
                    }
                });
                Thread t = new Thread(() -> {
                    try {
                        cluster.switchover();
                    } catch (RuntimeException e) {
                        log.warn("switchover failed", e);
                    }
                });
                t.start();
                long keyChanged = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (keyChanged == 0 && System.nanoTime() < deadline) {
                    String v = leaderValue(http, leaderKey);
                    if (v != null && !v.equals(old)) {
                        keyChanged = System.nanoTime();
                    }
                    Thread.sleep(5);
                }
                t.join();
                Awaits.until(Duration.ofSeconds(10), "the driver to see the new leader", () -> seenByDriver.get() != 0);
                assertThat(keyChanged).as("the leader key changed; it reads now: %s", leaderValue(http, leaderKey))
                        .isPositive();
                samples.add((seenByDriver.get() - keyChanged) / 1_000_000L);
            }
        }
        log.info("Consul: leader key changed -> topology: {} ms (negative: the driver saw it before this poll did)",
                samples.stream().map(String::valueOf).collect(Collectors.joining(", ")));
    }

    private static String leaderValue(HttpClient http, URI key) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(key).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body().trim() : null;
        } catch (Exception e) {
            log.info("GET {}: {}", key, e.toString());
            return null;
        }
    }
}
