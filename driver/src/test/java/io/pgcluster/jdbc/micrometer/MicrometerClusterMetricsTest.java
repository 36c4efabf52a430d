package io.pgcluster.jdbc.micrometer;

import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.CONNECTION_FAILURES;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.DRAIN_HELD;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.FAILURES_REPORTED;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.FRESH_READS;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.LEADER_CHANGES;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.LEADER_FIRST_WRITE;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.LEADER_WAIT;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.MEMBER_LAG;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.MEMBER_LEADER;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.POOL_ACQUIRE;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.POOL_CONNECTIONS;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.POOL_MAX;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.POOL_SUSPECT;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.POOL_TIMEOUTS;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.ROUTING_DECISIONS;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.STATEMENTS_ROUTED;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.SOURCE_REACHABLE;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.TOPOLOGY_AGE;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.TOPOLOGY_CHANGES;
import static io.pgcluster.jdbc.micrometer.MicrometerClusterMetrics.TRANSACTION_RETRIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgcluster.jdbc.internal.routing.LocalCluster;
import io.pgcluster.jdbc.internal.routing.MemberPool;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Micrometer meters, driven by a local cluster's real view, pools and router (no server). */
class MicrometerClusterMetricsTest {
    private LocalCluster cluster;
    private MicrometerClusterMetrics metrics;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new LocalCluster();
        metrics = new MicrometerClusterMetrics("demo", Tags.of("env", "test"));
        registry = new SimpleMeterRegistry();
        cluster.hub.attach(metrics);
        metrics.bind(registry);
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private static Search find(MeterRegistry r, String name, String... tags) {
        return r.find(name).tags(tags);
    }

    private double counter(String name, String... tags) {
        FunctionCounter c = find(registry, name, tags).functionCounter();
        return c == null ? 0 : c.count();
    }

    private double gauge(String name, String... tags) {
        Gauge g = find(registry, name, tags).gauge();
        assertThat(g).as("gauge %s %s", name, String.join(",", tags)).isNotNull();
        return g.value();
    }

    private Timer timer(String name, String... tags) {
        Timer t = find(registry, name, tags).timer();
        assertThat(t).as("timer %s %s", name, String.join(",", tags)).isNotNull();
        return t;
    }

    @Test
    void everyMeterCarriesTheClusterAndTheExtraTags() {
        cluster.publish("pg1", "pg1", "pg2");
        cluster.hub.retry(true, "40001");
        assertThat(registry.getMeters()).isNotEmpty().allSatisfy(m -> {
            assertThat(m.getId().getName()).startsWith("pgcluster.");
            assertThat(m.getId().getTag("cluster")).isEqualTo("demo");
            assertThat(m.getId().getTag("env")).isEqualTo("test");
        });
    }

    @Test
    void poolMetersFollowPoolsAndCarryMemberAndRole() {
        cluster.publish("pg1", "pg1", "pg2");
        assertThat(gauge(POOL_CONNECTIONS, "member", "pg1", "role", "write")).isZero();
        assertThat(gauge(POOL_CONNECTIONS, "member", "pg2", "role", "read")).isZero();
        assertThat(gauge(POOL_MAX, "member", "pg1", "role", "write"))
                .isEqualTo(cluster.config.writePoolSize());
        assertThat(find(registry, POOL_CONNECTIONS, "member", "pg2", "role", "write").gauge()).isNull();

        // a switchover: pg1's write pool and pg2's read pool are retired, shut down once drained
        cluster.publish("pg2", "pg1", "pg2");
        assertThat(gauge(POOL_CONNECTIONS, "member", "pg2", "role", "write")).isZero();
        assertThat(gauge(POOL_CONNECTIONS, "member", "pg1", "role", "read")).isZero();
        awaitTrue(() -> find(registry, POOL_CONNECTIONS, "member", "pg1", "role", "write").gauge() == null
                && find(registry, POOL_CONNECTIONS, "member", "pg2", "role", "read").gauge() == null);
        assertThat(find(registry, POOL_ACQUIRE, "member", "pg1", "role", "write").timer()).isNull();
    }

    @Test
    void hikariMeasurementsAreTaggedByMemberAndRole() {
        cluster.publish("pg1", "pg1");
        // nothing listens on the member's port: the borrow times out; the member is suspect meanwhile
        assertThatThrownBy(() -> cluster.writePool().borrow(100)).isInstanceOf(SQLException.class);
        // HikariCP's own timeout is one slice of a routed wait: not a request that timed out (the router counts those)
        assertThat(counter(POOL_TIMEOUTS, "member", "pg1", "role", "write")).isZero();
        assertThat(timer(POOL_ACQUIRE, "member", "pg1", "role", "write").count()).isEqualTo(1);
        // HikariCP's attempt to open a connection was refused: counted, and the member is suspect
        awaitTrue(() -> counter(CONNECTION_FAILURES, "member", "pg1", "role", "write", "phase", "connect",
                "sqlstate.class", "08") > 0);
        assertThat(gauge(POOL_SUSPECT, "member", "pg1", "role", "write")).isEqualTo(1);
    }

    @Test
    void aPoolReplacedWhileTheOldOneDrainsKeepsItsMetersUntilBothAreClosed() {
        cluster.view.publish(Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 0)).leader("pg1").build());
        MemberPool first = cluster.readPool("pg2");
        // pg2 moved: a new pool for the same member and role opens while the old one is retired
        cluster.view.publish(Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 0, cluster.closedPort + 1)).leader("pg1").build());
        assertThat(cluster.readPool("pg2")).isNotSameAs(first);
        assertThat(first.isRetired()).isTrue();
        assertThat(gauge(POOL_MAX, "member", "pg2", "role", "read")).isEqualTo(cluster.config.readPoolSize());
        // the drainer shuts the old pool down within about a second; the new one keeps the meters
        sleep(1500);
        assertThat(find(registry, POOL_MAX, "member", "pg2", "role", "read").gauge()).isNotNull();

        cluster.publish("pg1", "pg1");
        awaitTrue(() -> find(registry, POOL_MAX, "member", "pg2", "role", "read").gauge() == null);
    }

    @Test
    void topologyAndLeaderChangesAndTheFirstWriteOnANewLeader() {
        cluster.publish("pg1", "pg1", "pg2");
        MemberPool oldWrite = cluster.writePool();
        cluster.publish("pg1", "pg1", "pg2"); // a poll confirming the same layout
        assertThat(counter(TOPOLOGY_CHANGES)).isZero();
        assertThat(counter(LEADER_CHANGES)).isZero();

        cluster.publish(null, "pg1", "pg2"); // leader lost
        cluster.publish("pg2", "pg1", "pg2"); // a new leader
        assertThat(counter(TOPOLOGY_CHANGES)).isEqualTo(2);
        assertThat(counter(LEADER_CHANGES)).isEqualTo(1);
        assertThat(timer(LEADER_FIRST_WRITE).count()).isZero();

        sleep(20);
        cluster.hub.writeCommitted(oldWrite); // a commit on the old leader's pool does not count
        assertThat(timer(LEADER_FIRST_WRITE).count()).isZero();
        cluster.hub.writeCommitted(cluster.writePool());
        cluster.hub.writeCommitted(cluster.writePool());
        assertThat(timer(LEADER_FIRST_WRITE).count()).as("only the first write").isEqualTo(1);
        assertThat(timer(LEADER_FIRST_WRITE).totalTime(TimeUnit.MILLISECONDS)).isBetween(20.0, 5_000.0);

        cluster.publish(null, "pg1", "pg2");
        cluster.publish("pg2", "pg1", "pg2"); // the same leader again: lost and regained, no change of leader
        assertThat(counter(LEADER_CHANGES)).isEqualTo(1);
    }

    @Test
    void memberGaugesFollowTheTopology() {
        cluster.view.publish(Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 4096)).member(cluster.member("pg3", Role.REPLICA, -1))
                .leader("pg1").build());
        assertThat(gauge(MEMBER_LAG, "member", "pg1")).isZero();
        assertThat(gauge(MEMBER_LAG, "member", "pg2")).isEqualTo(4096);
        assertThat(gauge(MEMBER_LAG, "member", "pg3")).as("unknown").isNaN();
        assertThat(find(registry, MEMBER_LAG, "member", "pg2").gauge().getId().getBaseUnit()).isEqualTo("bytes");
        assertThat(gauge(MEMBER_LEADER, "member", "pg1")).isEqualTo(1);
        assertThat(gauge(MEMBER_LEADER, "member", "pg2")).isZero();

        cluster.publish("pg2", "pg1", "pg2");
        assertThat(gauge(MEMBER_LEADER, "member", "pg2")).isEqualTo(1);
        assertThat(find(registry, MEMBER_LAG, "member", "pg3").gauge()).as("pg3 left").isNull();
    }

    @Test
    void sourceReachabilityAndTopologyAge() {
        assertThat(gauge(SOURCE_REACHABLE)).as("no answer yet").isZero();
        cluster.publish("pg1", "pg1");
        assertThat(gauge(SOURCE_REACHABLE)).isEqualTo(1);
        sleep(30);
        cluster.view.sourceUnreachable("etcd down");
        assertThat(gauge(SOURCE_REACHABLE)).isZero();
        TimeGauge age = find(registry, TOPOLOGY_AGE).timeGauge();
        assertThat(age.value(TimeUnit.MILLISECONDS)).as("the last snapshot ages").isGreaterThanOrEqualTo(30);
        assertThat(counter(TOPOLOGY_CHANGES)).isZero();
    }

    @Test
    void routingWaitsFailuresAndRetries() {
        cluster.publish("pg1", "pg1", "pg2");
        cluster.hub.routed(true, false);
        cluster.hub.routed(true, false);
        cluster.hub.routed(true, true);
        cluster.hub.routed(false, true);
        assertThat(counter(ROUTING_DECISIONS, "work", "read", "target", "replica")).isEqualTo(2);
        assertThat(counter(ROUTING_DECISIONS, "work", "read", "target", "leader")).isEqualTo(1);
        assertThat(counter(ROUTING_DECISIONS, "work", "write", "target", "leader")).isEqualTo(1);
        assertThat(counter(STATEMENTS_ROUTED, "work", "read")).as("nothing routed by text yet").isZero();
        cluster.hub.statementRouted(true);
        cluster.hub.statementRouted(true);
        cluster.hub.statementRouted(false);
        assertThat(counter(STATEMENTS_ROUTED, "work", "read")).isEqualTo(2);
        assertThat(counter(STATEMENTS_ROUTED, "work", "write")).isEqualTo(1);

        cluster.hub.freshRead(false, false);
        cluster.hub.freshRead(true, false);
        cluster.hub.freshRead(true, false);
        cluster.hub.freshRead(true, true);
        assertThat(counter(FRESH_READS, "outcome", "replica")).isEqualTo(1);
        assertThat(counter(FRESH_READS, "outcome", "replica_after_wait")).isEqualTo(2);
        assertThat(counter(FRESH_READS, "outcome", "leader")).isEqualTo(1);

        cluster.hub.leaderWait(TimeUnit.MILLISECONDS.toNanos(1500), true);
        cluster.hub.leaderWait(TimeUnit.MILLISECONDS.toNanos(300), false);
        assertThat(timer(LEADER_WAIT, "outcome", "acquired").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1500);
        assertThat(timer(LEADER_WAIT, "outcome", "timeout").count()).isEqualTo(1);
        cluster.hub.drainHeld();
        cluster.hub.drainHeld();
        assertThat(counter(DRAIN_HELD)).isEqualTo(2);

        cluster.hub.connectionFailed(cluster.readPool("pg2"), "57P01", null);
        cluster.hub.connectionFailed(cluster.writePool(), "08006", "08007");
        cluster.hub.connectionFailed(cluster.writePool(), null, "08006");
        cluster.hub.unavailable();
        assertThat(counter(CONNECTION_FAILURES, "member", "pg2", "role", "read", "phase", "in_use", "sqlstate",
                "57P01", "sqlstate.class", "57")).isEqualTo(1);
        assertThat(counter(CONNECTION_FAILURES, "member", "pg1", "role", "write", "sqlstate", "08006")).isEqualTo(1);
        assertThat(counter(CONNECTION_FAILURES, "member", "pg1", "sqlstate", "none")).isEqualTo(1);
        assertThat(counter(FAILURES_REPORTED, "sqlstate", "08007")).isEqualTo(1);
        assertThat(counter(FAILURES_REPORTED, "sqlstate", "08006")).isEqualTo(1);
        assertThat(counter(FAILURES_REPORTED, "sqlstate", "08001")).isEqualTo(1);

        cluster.hub.retry(true, "40001");
        cluster.hub.retry(false, "08007");
        assertThat(counter(TRANSACTION_RETRIES, "mode", "read_only", "sqlstate", "40001")).isEqualTo(1);
        assertThat(counter(TRANSACTION_RETRIES, "mode", "read_write_idempotent", "sqlstate", "08007")).isEqualTo(1);
    }

    @Test
    void aRegistryBoundLaterGetsEveryMeterAndEveryRegistryHearsLaterEvents() {
        cluster.publish("pg1", "pg1", "pg2");
        cluster.hub.retry(true, "40001");
        cluster.hub.routed(false, true);
        SimpleMeterRegistry later = new SimpleMeterRegistry();
        metrics.bind(later);
        metrics.bind(later); // again: nothing changes
        assertThat(ids(later)).isEqualTo(ids(registry));
        assertThat(find(later, ROUTING_DECISIONS, "work", "write").functionCounter().count()).isEqualTo(1);

        cluster.hub.leaderWait(1_000_000, true);
        cluster.publish("pg1", "pg1", "pg2", "pg3");
        for (MeterRegistry r : new MeterRegistry[] {registry, later}) {
            assertThat(find(r, LEADER_WAIT, "outcome", "acquired").timer().count()).isEqualTo(1);
            assertThat(find(r, POOL_CONNECTIONS, "member", "pg3").gauge()).isNotNull();
        }
    }

    @Test
    void closingTheDataSourceRemovesEveryMeterFromEveryRegistry() {
        SimpleMeterRegistry second = new SimpleMeterRegistry();
        metrics.bind(second);
        cluster.publish("pg1", "pg1", "pg2");
        cluster.hub.retry(true, "40001");
        assertThat(registry.getMeters()).isNotEmpty();

        cluster.pools.close();
        cluster.hub.close();
        assertThat(registry.getMeters()).isEmpty();
        assertThat(second.getMeters()).isEmpty();

        cluster.hub.retry(true, "40001"); // late events register nothing
        metrics.bind(new SimpleMeterRegistry());
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void changedIgnoresLagAndReachability() {
        Topology a = Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 0)).leader("pg1").build();
        Topology lagging = Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 1 << 20)).leader("pg1").build();
        Topology moved = Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(cluster.member("pg2", Role.REPLICA, 0, 1)).leader("pg1").build();
        Topology stopped = Topology.builder("demo").member(cluster.member("pg1", Role.PRIMARY, 0))
                .member(new io.pgcluster.jdbc.topology.Member("pg2", "127.0.0.1", cluster.closedPort, Role.REPLICA,
                        "stopped", 1, 0, 0, null, null)).leader("pg1").build();
        assertThat(MicrometerClusterMetrics.changed(a, lagging)).isFalse();
        assertThat(MicrometerClusterMetrics.changed(a, a.withSourceUnreachable("down"))).isFalse();
        assertThat(MicrometerClusterMetrics.changed(a, moved)).isTrue();
        assertThat(MicrometerClusterMetrics.changed(a, stopped)).isTrue();
    }

    private static java.util.Set<Meter.Id> ids(MeterRegistry r) {
        java.util.Set<Meter.Id> ids = new java.util.HashSet<>();
        r.getMeters().forEach(m -> ids.add(m.getId()));
        return ids;
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited 10 s").isNegative();
            sleep(20);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
