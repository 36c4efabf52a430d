package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.ServerConnector;
import io.pgcluster.jdbc.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.pool.Pools;
import io.pgcluster.jdbc.routing.Router;
import io.pgcluster.jdbc.source.TopologySource;
import io.pgcluster.jdbc.source.TopologySources;
import io.pgcluster.jdbc.topology.ClusterView;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster's running parts, wired once: topology source -> cluster view -> pools -> router, with the two
 * threads they run on ({@code pgcluster-<name>-topology} and {@code pgcluster-<name>-pools}), and the
 * {@link ClusterMetricsHub} they all report to (metrics attach to it later, if ever).
 *
 * <p>Thread-safety: safe for concurrent use; {@link #close()} stops everything it started.
 */
final class Cluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cluster.class);

    private final PgClusterConfig config;
    private final String name;
    private final ScheduledThreadPoolExecutor topologyThread;
    private final ScheduledThreadPoolExecutor poolsThread;
    private final ClusterView view;
    private final Pools pools;
    private final Router router;
    private final TopologySource source;
    private final ClusterMetricsHub metrics;
    private final int maxStatementAttempts;
    private final HealthCheck health;

    Cluster(PgClusterConfig config) {
        this.config = config;
        this.name = config.name();
        this.maxStatementAttempts = config.statementMaxAttempts();
        this.health = new HealthCheck(name, config.failoverTimeout().toMillis());
        this.topologyThread = DaemonThreads.scheduler(name, "topology");
        this.poolsThread = DaemonThreads.scheduler(name, "pools");
        ServerConnector connector = new ServerConnector(config);
        this.view = new ClusterView(name);
        this.metrics = new ClusterMetricsHub(view.current());
        this.pools = new Pools(name, config, connector, poolsThread, view::requestRefresh, metrics);
        this.router = new Router(config, view, pools, metrics);
        view.addListener(metrics); // first: it sees a new leader before routing can hand out a connection to it
        view.addListener(router);
        TopologySource s = null;
        try {
            s = TopologySources.create(config, connector, topologyThread);
            view.setRefresher(s::refresh);
            s.start(view);
        } catch (RuntimeException e) {
            if (s != null) {
                s.close();
            }
            pools.close();
            metrics.close();
            topologyThread.shutdownNow();
            poolsThread.shutdownNow();
            throw e;
        }
        this.source = s;
        log.info("pgcluster {}: following {}", name, s.describe());
    }

    String name() {
        return name;
    }

    PgClusterConfig config() {
        return config;
    }

    ClusterView view() {
        return view;
    }

    Router router() {
        return router;
    }

    ClusterMetricsHub metrics() {
        return metrics;
    }

    TopologySource source() {
        return source;
    }

    /** See {@link ClusterHealth}. */
    ClusterHealth health() {
        return health.check(router.table(), source.describe());
    }

    /** Attempts of one statement that may run again on another member after a connection failure. */
    int maxStatementAttempts() {
        return maxStatementAttempts;
    }

    /**
     * Stops following the topology, refuses new work, shuts every pool down (aborting connections in use), stops
     * both threads, and tells attached metrics to remove what they registered.
     */
    @Override
    public void close() {
        // every step runs even if one before it failed: a thread or pool left running would outlive close()
        RuntimeException failure = attempt(null, source::close);
        failure = attempt(failure, router::close);
        topologyThread.shutdown();
        failure = attempt(failure, pools::close);
        poolsThread.shutdown();
        try {
            if (!topologyThread.awaitTermination(5, TimeUnit.SECONDS)
                    | !poolsThread.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("pgcluster {}: a pgcluster thread did not stop within 5 s", name);
                topologyThread.shutdownNow();
                poolsThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failure = attempt(failure, metrics::close);
        log.info("pgcluster {}: closed", name);
        if (failure != null) {
            throw failure;
        }
    }

    private RuntimeException attempt(RuntimeException earlier, Runnable step) {
        try {
            step.run();
            return earlier;
        } catch (RuntimeException e) {
            log.warn("pgcluster {}: while closing: {}", name, e.toString());
            if (earlier == null) {
                return e;
            }
            earlier.addSuppressed(e);
            return earlier;
        }
    }
}
