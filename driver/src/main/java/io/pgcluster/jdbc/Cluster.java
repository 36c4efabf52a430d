package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.internal.routing.Pools;
import io.pgcluster.jdbc.internal.routing.Router;
import io.pgcluster.jdbc.internal.routing.StatementClassifier;
import io.pgcluster.jdbc.internal.routing.WritePositions;
import io.pgcluster.jdbc.internal.source.TopologySource;
import io.pgcluster.jdbc.internal.source.TopologySources;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Topology;
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
    private final WritePositions positions;
    private final TopologySource source;
    private final ClusterMetricsHub metrics;
    private final int maxStatementAttempts;
    private final HealthCheck health;
    /** One per cluster, so that its cache of classified texts serves every connection. */
    private final StatementClassifier classifier;
    /** The same, or the one read-your-writes uses when routing does not read texts ({@link #textsFor}). */
    private final StatementClassifier texts;

    Cluster(PgClusterConfig config) {
        this.config = config;
        this.name = config.name();
        this.maxStatementAttempts = config.statementMaxAttempts();
        StatementClassifier texts = textsFor(config);
        this.texts = texts;
        this.classifier = config.autoCommitReads() == PgClusterConfig.AutoCommitReads.REPLICA
                ? texts : StatementClassifier.LEADER_ONLY;
        this.health = new HealthCheck(name, config.failoverTimeout().toMillis());
        this.topologyThread = DaemonThreads.scheduler(name, "topology");
        this.poolsThread = DaemonThreads.scheduler(name, "pools");
        ServerConnector connector = new ServerConnector(config);
        try {
            this.source = TopologySources.create(config, connector, topologyThread);
        } catch (RuntimeException e) {
            topologyThread.shutdownNow();
            poolsThread.shutdownNow();
            throw e;
        }
        // the source's "look again now", wired into what sees connection failures: the view (for the JDBC layer)
        // and the pools; the source exists first, so nothing is installed after construction
        Runnable refresh = source::refresh;
        this.view = new ClusterView(name, refresh);
        this.metrics = new ClusterMetricsHub(view.current());
        this.pools = new Pools(name, config, connector, poolsThread, refresh, metrics);
        this.positions = new WritePositions(config, texts);
        this.router = new Router(config, view, metrics, positions);
        view.addListener(metrics); // first: it sees a new leader before routing can hand out a connection to it
        view.addListener(this::route);
        try {
            source.start(view);
        } catch (RuntimeException e) {
            source.close();
            pools.close();
            metrics.close();
            topologyThread.shutdownNow();
            poolsThread.shutdownNow();
            throw e;
        }
        log.info("pgcluster {}: following {}", name, source.describe());
    }

    /**
     * The cluster's one classifier of SQL texts (one Caffeine cache) for routing auto-commit reads and for
     * read-your-writes' "may it have written?", or {@link StatementClassifier#LEADER_ONLY} (no cache) when neither
     * {@code autoCommitReads=replica} nor {@code readYourWrites=jvm} asks for it. Routing uses it only with
     * {@code autoCommitReads=replica}.
     */
    static StatementClassifier textsFor(PgClusterConfig config) {
        boolean routes = config.autoCommitReads() == PgClusterConfig.AutoCommitReads.REPLICA;
        boolean learns = config.readYourWrites() == PgClusterConfig.ReadYourWrites.JVM;
        return routes || learns ? new StatementClassifier(config.writeFunctions()) : StatementClassifier.LEADER_ONLY;
    }

    /** A topology snapshot: the pools follow it (open, retire), then routing uses the pools now in service. */
    private void route(Topology previous, Topology current) {
        router.update(current, pools.apply(previous, current));
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

    /** What this JVM wrote and what reads must see (read-your-writes). */
    WritePositions positions() {
        return positions;
    }

    ClusterMetricsHub metrics() {
        return metrics;
    }

    /** Which auto-commit statements may run on a replica ({@code autoCommitReads}). */
    StatementClassifier classifier() {
        return classifier;
    }

    /** The classifier {@link #textsFor} built, whether or not routing uses it. */
    StatementClassifier texts() {
        return texts;
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
