package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A cluster's view, metrics hub, pools and router wired as {@code Cluster} wires them, with no topology source:
 * tests publish snapshots themselves. Members point at a closed port and pools keep no idle connections, so
 * nothing connects unless a test borrows. The routing, pool and metrics tests share it.
 */
public final class LocalCluster implements AutoCloseable {
    public final PgClusterConfig config;
    public final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    public final ClusterView view = new ClusterView("demo");
    public final ClusterMetricsHub hub = new ClusterMetricsHub(view.current());
    public final Pools pools;
    public final Router router;
    public final int closedPort;

    /**
     * @param settings settings as name, value pairs, over the fixture's own (minIdle 0, failoverTimeout 300ms,
     *     connectionTimeout 250ms, suspectTimeout 10s)
     */
    public LocalCluster(String... settings) {
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PgClusterConfig.Builder b = PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo").database("app")
                .user("app").password("pw").set("minIdle", "0").set("failoverTimeout", "300ms")
                .set("connectionTimeout", "250ms").set("suspectTimeout", "10s");
        for (int i = 0; i < settings.length; i += 2) {
            b.set(settings[i], settings[i + 1]);
        }
        config = b.build();
        pools = new Pools("demo", config, new ServerConnector(config), executor, view::requestRefresh, hub);
        router = new Router(config, view, hub);
        view.addListener(hub);
        view.addListener((previous, current) -> router.update(current, pools.apply(previous, current)));
    }

    public Member member(String name, Role role, long lag) {
        return member(name, role, lag, closedPort);
    }

    public Member member(String name, Role role, long lag, int port) {
        return new Member(name, "127.0.0.1", port, role, "running", 1, 100, lag, Map.of(), null);
    }

    /** Publishes pg1..pgN with {@code leader} leading (or none) and every other member a replica with no lag. */
    public Topology publish(String leader, String... members) {
        Topology.Builder b = Topology.builder("demo");
        for (String m : members) {
            b.member(member(m, m.equals(leader) ? Role.PRIMARY : Role.REPLICA, 0));
        }
        Topology t = b.leader(leader).build();
        view.publish(t);
        return t;
    }

    public MemberPool writePool() {
        return pools.state().write();
    }

    public MemberPool readPool(String member) {
        return pools.state().reads().get(member);
    }

    @Override
    public void close() {
        pools.close();
        hub.close();
        executor.shutdownNow();
    }
}
