package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Consul source against {@link FakeConsul} agents on loopback: the first read, blocking queries, the index going
 * back, a refused token, failover between agents, and an outage that keeps the last topology.
 */
class ConsulSourceTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    /** Long enough that a change arriving within it must have come through a blocking query, not a new one. */
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Generous: outcomes are asserted, and the bounds only catch a source that never gets there. */
    private static final long WAIT_SECONDS = 8;
    private static final String PREFIX = "service/demo/";

    private final ScheduledExecutorService topology = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgcluster-consul-unit-topology");
        t.setDaemon(true);
        return t;
    });
    private final FakeConsul.Store store = new FakeConsul.Store();

    ConsulSourceTest() {
        Map<String, String> keys = ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/");
        keys.forEach((k, v) -> store.put(PREFIX + k, v));
        store.put("service/other/leader", "elsewhere"); // another scope: never read
    }

    @AfterEach
    void stop() {
        topology.shutdownNow();
    }

    @Test
    void theFirstReadPublishesTheTopologyAndTheTokenGoesInTheHeaderOnly() throws Exception {
        try (FakeConsul agent = FakeConsul.start(store, "s3cr3t-token");
                ConsulSource source = source(List.of(address(agent)), "s3cr3t-token")) {
            ClusterView view = started(source);
            await("the first topology; now " + view.current(), () -> view.current().isKnown());
            assertThat(view.current().leader().name()).isEqualTo("pg3");
            assertThat(view.current().members()).hasSize(3);
            assertThat(agent.requests().get(0)).isEqualTo("/v1/kv/service/demo/?recurse");
            assertThat(agent.tokens()).containsOnly("s3cr3t-token");
            assertThat(agent.requests()).noneMatch(r -> r.contains("s3cr3t"));
            assertThat(source.describe()).doesNotContain("s3cr3t").contains(PREFIX).contains("ACL token");
        }
    }

    @Test
    void aBlockingQueryDeliversAChangeAtOnce() throws Exception {
        try (FakeConsul agent = FakeConsul.start(store, null);
                ConsulSource source = source(List.of(address(agent)), null)) {
            ClusterView view = started(source);
            await("the first topology", () -> view.current().isKnown());
            long index = store.index();
            await("a blocking query from the index read", () -> agent.requests().stream()
                    .anyMatch(r -> r.endsWith("?recurse&index=" + index + "&wait=20s")));
            int before = agent.requests().size();
            store.put(PREFIX + "leader", "pg1");
            await("the new leader; now " + view.current(), () -> view.current().leader() != null
                    && view.current().leader().name().equals("pg1"));
            // the change came as the answer of the query waiting (one request), not of a later poll
            assertThat(agent.requests().size()).isLessThanOrEqualTo(before + 1);
        }
    }

    @Test
    void anIndexThatGoesBackIsResetAndThePrefixReadAgain() throws Exception {
        try (FakeConsul agent = FakeConsul.start(store, null);
                ConsulSource source = source(List.of(address(agent)), null)) {
            ClusterView view = started(source);
            await("the first topology", () -> view.current().isKnown());
            long index = store.index();
            await("a blocking query", () -> agent.requests().stream().anyMatch(r -> r.contains("index=")));
            int before = agent.requests().size();
            store.resetIndex(3); // a snapshot restored: the index goes back, every query returns
            await("a plain read after the reset", () -> agent.requests().stream().skip(before)
                    .anyMatch(r -> r.equals("/v1/kv/service/demo/?recurse")));
            await("blocking again from the new index", () -> agent.requests().stream().skip(before)
                    .anyMatch(r -> r.contains("index=3&")));
            assertThat(agent.requests().stream().skip(before)).noneMatch(r -> r.contains("index=" + index + "&"));
            store.put(PREFIX + "leader", "pg2");
            await("the change after the reset", () -> view.current().leader() != null
                    && view.current().leader().name().equals("pg2"));
        }
    }

    /**
     * Consul's advice: an index that is 0 (or absent) after a read counts as 1, so the next query still blocks; a
     * query that then returns at once without a higher index is not repeated at once (it used to spin).
     */
    @Test
    void anIndexOfZeroOrNoneCountsAsOne() throws Exception {
        try (FakeConsul agent = FakeConsul.start(store, null);
                ConsulSource source = source(List.of(address(agent)), null)) {
            agent.reportIndex("0");
            ClusterView view = started(source);
            await("the first topology", () -> view.current().isKnown());
            await("a query blocking from index 1", () -> agent.requests().stream()
                    .anyMatch(r -> r.endsWith("?recurse&index=1&wait=20s")));
            Thread.sleep(300);
            // the fake answers index=1 at once (its index is higher): without spacing this is thousands of requests
            assertThat(agent.requests()).as("requests in about 300 ms").hasSizeLessThan(20);
            assertThat(agent.requests()).noneMatch(r -> r.contains("index=0"));
            agent.reportIndex(null);
            store.put(PREFIX + "leader", "pg2");
            await("the change once the index is sane", () -> view.current().leader() != null
                    && view.current().leader().name().equals("pg2"));
        }
    }

    @Test
    void aRefusedTokenIsARefusalNamingDcsToken() throws Exception {
        try (FakeConsul agent = FakeConsul.start(store, "the-right-one");
                ConsulSource source = source(List.of(address(agent)), "a-wrong-one")) {
            ClusterView view = started(source);
            await("the refusal; now " + view.current(), () -> view.current().sourceRefused());
            assertThat(view.current().isKnown()).isFalse();
            assertThat(view.current().sourceProblem()).contains("dcsToken").contains("403")
                    .contains("ACL not found").contains(PREFIX).doesNotContain("a-wrong-one");
        }
        try (FakeConsul agent = FakeConsul.start(store, "the-right-one");
                ConsulSource source = source(List.of(address(agent)), null)) {
            ClusterView view = started(source);
            await("the refusal; now " + view.current(), () -> view.current().sourceRefused());
            assertThat(view.current().sourceProblem()).contains("set dcsToken");
        }
    }

    /** With default deny, Consul answers a token that may not read the prefix with 404: never an empty cluster. */
    @Test
    void aPrefixWithoutKeysIsReportedNamingScopeAndDcsTokenAndNeverPublishedEmpty() throws Exception {
        FakeConsul.Store empty = new FakeConsul.Store();
        try (FakeConsul agent = FakeConsul.start(empty, null);
                ConsulSource source = source(List.of(address(agent)), null)) {
            ClusterView view = started(source);
            await("the refusal; now " + view.current(), () -> view.current().sourceRefused());
            assertThat(view.current().isKnown()).isFalse();
            assertThat(view.current().sourceProblem()).contains("no keys under 'service/demo/'")
                    .contains("scope").contains("set dcsToken");
            // the keys appear (Patroni writes them anew after an agent restart): followed through the query
            ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/")
                    .forEach((k, v) -> empty.put(PREFIX + k, v));
            await("the topology once written; now " + view.current(), () -> view.current().isKnown()
                    && view.current().sourceReachable() && view.current().leader() != null);
            // and when they vanish again, the last topology is kept
            for (String k : List.copyOf(ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/").keySet())) {
                empty.delete(PREFIX + k);
            }
            await("the last topology kept, marked; now " + view.current(),
                    () -> !view.current().sourceReachable());
            assertThat(view.current().leader().name()).isEqualTo("pg3");
        }
    }

    @Test
    void whenTheAgentInUseStopsTheNextOneTakesOverAndChangesAreFollowed() throws Exception {
        FakeConsul first = FakeConsul.start(store, null);
        try (FakeConsul second = FakeConsul.start(store, null)) {
            ClusterView view = new ClusterView("consul-unit");
            ConsulSource source = source(List.of(address(first), address(second)), null);
            try {
                source.start(view);
                await("the first topology", () -> view.current().isKnown());
                assertThat(second.requests()).isEmpty();
                first.close();
                await("the second agent asked", () -> !second.requests().isEmpty());
                store.put(PREFIX + "leader", "pg1");
                await("the change through the second agent; now " + view.current(),
                        () -> view.current().leader() != null && view.current().leader().name().equals("pg1"));
                assertThat(view.current().sourceReachable()).isTrue();
            } finally {
                source.close();
                first.close();
            }
        }
    }

    @Test
    void anOutageKeepsTheLastTopologyMarkedUnreachableUntilTheAgentIsBack() throws Exception {
        FakeConsul agent = FakeConsul.start(store, null);
        int port = agent.port();
        ClusterView view = new ClusterView("consul-unit");
        ConsulSource source = source(List.of(address(agent)), null);
        try {
            source.start(view);
            await("the first topology", () -> view.current().isKnown());
            agent.close();
            await("the source marked unreachable; now " + view.current(), () -> !view.current().sourceReachable());
            assertThat(view.current().isKnown()).isTrue();
            assertThat(view.current().leader().name()).isEqualTo("pg3");
            assertThat(view.current().sourceRefused()).isFalse();
            assertThat(view.current().sourceProblem()).contains("Consul").contains("127.0.0.1:" + port);
            store.put(PREFIX + "leader", "pg2"); // changed while the agent was away
            agent = FakeConsul.start(store, null, port);
            await("reachable again with the change; now " + view.current(), () -> view.current().sourceReachable()
                    && view.current().leader() != null && view.current().leader().name().equals("pg2"));
        } finally {
            source.close();
            agent.close();
        }
    }

    @Test
    void closeEndsAWaitingBlockingQueryPromptly() throws Exception {
        try (FakeConsul agent = FakeConsul.start(store, null)) {
            ConsulSource source = source(List.of(address(agent)), null);
            ClusterView view = started(source);
            await("a blocking query", () -> agent.requests().stream().anyMatch(r -> r.contains("index=")));
            long t0 = System.nanoTime();
            source.close();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            assertThat(Thread.getAllStackTraces().keySet())
                    .noneMatch(t -> t.getName().equals("pgcluster-consul-unit-consul") && t.isAlive());
        }
    }

    @Test
    void keysAreReadRelativeToThePrefixAndDecoded() {
        ConsulSource source = source(List.of(new HostAndPort("127.0.0.1", 1)), null);
        Map<String, String> keys = source.keys("[{\"Key\":\"service/demo/leader\",\"Value\":\"cGcx\"},"
                + "{\"Key\":\"service/demo/\",\"Value\":null},{\"Key\":\"service/demo/failover\",\"Value\":null},"
                + "{\"Key\":\"service/demox/leader\",\"Value\":\"eA==\"}]");
        assertThat(keys).containsExactlyInAnyOrderEntriesOf(Map.of("leader", "pg1", "failover", ""));
        assertThat(ConsulSource.prefix("/service", "demo")).isEqualTo(PREFIX);
        assertThat(ConsulSource.prefix("/service/", "demo")).isEqualTo(PREFIX);
        assertThat(ConsulSource.prefix("/", "demo")).isEqualTo("demo/");
    }

    private ConsulSource source(List<HostAndPort> agents, String token) {
        return new ConsulSource("consul-unit", agents, "/service", "demo", token,
                new RestClient(null, null, null, null), new RestClient(null, null, null, null), AllowedHosts.ANY,
                TIMEOUT, Duration.ofMillis(100), WAIT, topology);
    }

    /** A view that {@code source}, started, publishes into. */
    private static ClusterView started(ConsulSource source) {
        ClusterView view = new ClusterView("consul-unit");
        source.start(view);
        return view;
    }

    private static HostAndPort address(FakeConsul agent) {
        return new HostAndPort("127.0.0.1", agent.port());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("timed out waiting for %s", what).isNegative();
            Thread.sleep(20);
        }
    }
}
