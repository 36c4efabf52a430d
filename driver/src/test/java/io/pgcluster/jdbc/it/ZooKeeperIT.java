package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.PgClusterDriver;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.Dcs;
import io.pgcluster.testkit.FaultProxy;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zookeeper source against a cluster whose DCS is ZooKeeper (the driver reaches ZooKeeper through a fault proxy;
 * Patroni directly): the routing and switchover checks every other source passes (the same test bodies as
 * {@link RoutingIT} and {@link SwitchoverIT}), the {@code jdbc:pgcluster:zookeeper://} URL through DriverManager, a
 * ZooKeeper outage seen by the driver only, and close() leaving no thread of the ZooKeeper client behind.
 */
@PatroniClusterTest
@ClusterConfig(dcs = Dcs.ZOOKEEPER, faultProxies = true)
class ZooKeeperIT {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperIT.class);

    @AfterEach
    void restore(PatroniCluster cluster) {
        PgClusterDriver.closeAll();
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    @Test
    void readOnlyWorkRunsOnReplicasAndTheRestOnTheLeader(PatroniCluster cluster) throws Exception {
        new RoutingIT().readOnlyWorkRunsOnReplicasAndTheRestOnTheLeader(Sources.ZOOKEEPER, cluster);
    }

    /**
     * Patroni replaces member znodes (delete, then create) around a switchover; the topology must not show the
     * member, and with it the leader, gone for that moment.
     */
    @Test
    void noMemberFlickersOutOfTheTopologyInASwitchover(PatroniCluster cluster) throws Exception {
        List<String> departures = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ZOOKEEPER.config(cluster).name("zk-flicker")
                .build())) {
            Awaits.until(Duration.ofSeconds(10), "all members in the topology",
                    () -> ds.topology().members().size() == cluster.nodes().size());
            ds.addTopologyListener((previous, current) -> previous.members().stream()
                    .filter(m -> current.member(m.name()) == null).forEach(m -> departures.add(m.name())));
            PatroniNode newLeader = cluster.switchover();
            Awaits.until(Duration.ofSeconds(20), "the new leader " + newLeader.name() + " running as primary",
                    () -> ds.topology().leader() != null && ds.topology().leader().name().equals(newLeader.name())
                            && ds.topology().members().size() == cluster.nodes().size());
            Thread.sleep(3000); // the old leader rejoining as a replica
            assertThat(departures).as("members that left the topology during a switchover").isEmpty();
        }
    }

    @Test
    void switchoverUnderLoad(PatroniCluster cluster) throws Exception {
        new SwitchoverIT().switchoverUnderLoad(Sources.ZOOKEEPER, cluster);
    }

    /** The zookeeper source delivers Patroni's failover key in time: no plain-JDBC write fails (SwitchoverDrainIT). */
    @Test
    void drainedSwitchoversFailNoWrite(PatroniCluster cluster) throws Exception {
        SwitchoverDrainIT.drainedSwitchoversFailNoWrite(Sources.ZOOKEEPER, cluster, 2);
    }

    @Test
    void driverManagerUrl(PatroniCluster cluster) throws Exception {
        DriverIT.oneSharedClusterRoutesEveryConnection(Sources.ZOOKEEPER, cluster,
                "jdbc:pgcluster:zookeeper://" + cluster.zooKeeperClientAddress() + "/");
    }

    /**
     * The driver loses ZooKeeper (its proxy holds every byte) while Patroni keeps it: the last topology stays, marked
     * unreachable; a switchover made meanwhile raises no watch event for the driver, so it is the full read after
     * the reconnection (same session or a new one) that brings the new leader.
     */
    @Test
    void anOutageKeepsTheLastTopologyAndTheReconnectionReadsWhatWasMissed(PatroniCluster cluster) throws Exception {
        outageSeenByTheDriverOnly(Sources.ZOOKEEPER, cluster, cluster.zooKeeperFaultProxy());
    }

    /** The body, for any DCS source whose client address goes through {@code proxy} (ConsulIT). */
    static void outageSeenByTheDriverOnly(Sources source, PatroniCluster cluster, FaultProxy proxy) throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(source.config(cluster).build())) {
            String oldLeader = cluster.leader().name();
            Awaits.until(Duration.ofSeconds(10), "the first topology", () -> ds.topology().leader() != null);
            assertThat(ds.topology().leader().name()).isEqualTo(oldLeader);
            String write = ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
            assertThat(write).isEqualTo(oldLeader + "/primary");

            proxy.blackhole();
            long t0 = System.nanoTime();
            Awaits.until(Duration.ofSeconds(20), "the topology flagged as unconfirmed",
                    () -> !ds.topology().sourceReachable());
            log.info("{} blackholed: flagged after {} ms: {}", source, (System.nanoTime() - t0) / 1_000_000L,
                    ds.topology().sourceProblem());
            assertThat(ds.topology().sourceRefused()).as("an outage, not a refusal").isFalse();
            assertThat(ds.topology().leader().name()).as("last topology kept").isEqualTo(oldLeader);
            String read = ds.inTransaction(TransactionMode.READ_ONLY, c -> Sources.where(cluster, c));
            assertThat(read).as("reads go on").endsWith("/replica");
            write = ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
            assertThat(write).as("writes go on").isEqualTo(oldLeader + "/primary");

            PatroniNode newLeader = cluster.switchover();
            proxy.pass();
            t0 = System.nanoTime();
            Awaits.until(Duration.ofSeconds(30), "the new leader " + newLeader.name() + " after the reconnection",
                    () -> ds.topology().sourceReachable() && ds.topology().leader() != null
                            && ds.topology().leader().name().equals(newLeader.name()));
            log.info("{} passing again: new leader {} seen after {} ms", source, newLeader.name(),
                    (System.nanoTime() - t0) / 1_000_000L);
            awaitWriteOn(newLeader, ds, cluster);
        }
    }

    /** The client's send and event threads carry the cluster's name, and close() ends them with everything else. */
    @Test
    void closeLeavesNothingBehind(PatroniCluster cluster) throws Exception {
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ZOOKEEPER.config(cluster).name("zk-threads")
                .build())) {
            Awaits.until(Duration.ofSeconds(10), "the first topology", () -> ds.topology().leader() != null);
            List<String> zk = threads("zookeeper-zk-threads-");
            assertThat(zk).as("ZooKeeper's threads, named after the cluster").hasSize(2)
                    .anyMatch(n -> n.startsWith("zookeeper-zk-threads-SendThread("))
                    .contains("zookeeper-zk-threads-EventThread");
            assertThat(threads("pgcluster-zk-threads-")).as("the driver's own threads").hasSizeLessThanOrEqualTo(2);
        }
        Awaits.until(Duration.ofSeconds(10), "ZooKeeper's threads to end",
                () -> threads("zookeeper-zk-threads-").isEmpty() && threads("pgcluster-zk-threads-").isEmpty());
        new CloseIT().closeLeavesNothingBehind(Sources.ZOOKEEPER, cluster);
    }

    /** Waits up to 30 s until a write through {@code ds} runs on {@code node} as the primary. */
    static void awaitWriteOn(PatroniNode node, PgClusterDataSource ds, PatroniCluster cluster) throws Exception {
        Awaits.until(Duration.ofSeconds(30), "a write on " + node.name(),
                () -> (node.name() + "/primary").equals(writeWhere(ds, cluster)));
    }

    private static String writeWhere(PgClusterDataSource ds, PatroniCluster cluster) {
        try {
            return ds.inTransaction(TransactionMode.READ_WRITE, c -> Sources.where(cluster, c));
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static List<String> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(prefix)).collect(Collectors.toList());
    }
}
