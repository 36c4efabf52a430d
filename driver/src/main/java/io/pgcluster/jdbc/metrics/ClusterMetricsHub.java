package io.pgcluster.jdbc.metrics;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import io.pgcluster.jdbc.routing.MemberPool;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.jdbc.topology.TopologyListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ClusterMetrics} a cluster's parts report to, from construction on, and that forwards to the
 * implementations attached later (see {@code PgClusterDataSource.addMetrics}).
 *
 * <p>Events of the request path (routing, waits, commits, failures, retries) read one volatile field, the
 * delegate: {@link ClusterMetrics#NOOP} until something is attached, then that implementation (or a composite of
 * several). So without metrics the hot path pays one call to an empty method and no branch, and with them one
 * more interface call. Topology and pool events, rare, are delivered under this object's lock, which also
 * replays the current topology and open pools to an implementation being attached, so that it misses nothing and
 * sees nothing twice. HikariCP's own measurements of each pool reach attached implementations through one tracker
 * per pool, installed in the running pool when the first implementation that wants it is attached.
 *
 * <pre>{@code
 * ClusterMetricsHub hub = new ClusterMetricsHub(view.current());
 * view.addListener(hub);                                   // before the router: sees a new leader first
 * Pools pools = new Pools(name, config, connector, executor, view::requestRefresh, hub);
 * hub.attach(myMetrics);                                   // any time later, from any thread
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class ClusterMetricsHub implements ClusterMetrics, TopologyListener {
    private static final Logger log = LoggerFactory.getLogger(ClusterMetricsHub.class);

    private volatile ClusterMetrics delegate = NOOP;
    // Guarded by this:
    private final List<ClusterMetrics> attached = new ArrayList<>();
    private final Map<MemberPool, Trackers> pools = new LinkedHashMap<>();
    private Topology topology;
    private boolean closed;

    /**
     * A hub with nothing attached.
     *
     * @param initial the topology in force now (the view's placeholder, before the source starts)
     */
    public ClusterMetricsHub(Topology initial) {
        this.topology = initial;
    }

    /**
     * Attaches {@code metrics}: it hears the current topology and open pools now, then every event until the data
     * source closes. Attaching the same instance again does nothing; attaching to a closed cluster only tells it
     * {@link #closed()}.
     */
    public synchronized void attach(ClusterMetrics metrics) {
        if (attached.contains(metrics)) {
            return;
        }
        if (closed) {
            metrics.closed();
            return;
        }
        Topology t = topology;
        safely(metrics, "attached", () -> metrics.attached(t));
        for (Map.Entry<MemberPool, Trackers> e : pools.entrySet()) {
            opened(metrics, e.getKey(), e.getValue());
        }
        attached.add(metrics);
        delegate = attached.size() == 1 ? metrics : new Composite(attached.toArray(new ClusterMetrics[0]));
    }

    /** The implementations attached, in order (for tests). */
    synchronized List<ClusterMetrics> attachedMetrics() {
        return List.copyOf(attached);
    }

    /** Tells every attached implementation that the data source closed, and detaches them all. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        delegate = NOOP;
        for (ClusterMetrics m : attached) {
            safely(m, "closed", m::closed);
        }
        attached.clear();
        pools.clear();
    }

    @Override
    public synchronized void onTopology(Topology previous, Topology current) {
        topology = current;
        for (ClusterMetrics m : attached) {
            safely(m, "onTopology", () -> m.onTopology(previous, current));
        }
    }

    @Override
    public synchronized void poolOpened(MemberPool pool) {
        if (closed) {
            return;
        }
        Trackers t = new Trackers();
        pools.put(pool, t);
        for (ClusterMetrics m : attached) {
            opened(m, pool, t);
        }
    }

    private static void opened(ClusterMetrics m, MemberPool pool, Trackers t) {
        safely(m, "poolOpened", () -> {
            m.poolOpened(pool);
            t.add(pool, m.poolTracker(pool));
        });
    }

    @Override
    public synchronized void poolClosed(MemberPool pool) {
        if (pools.remove(pool) == null) {
            return;
        }
        for (ClusterMetrics m : attached) {
            safely(m, "poolClosed", () -> m.poolClosed(pool));
        }
    }

    /** Topology and pool changes must go on whatever a metrics implementation does. */
    private static void safely(ClusterMetrics m, String event, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("pgcluster: metrics {} failed on {}", m, event, e);
        }
    }

    @Override
    public void routed(boolean readOnly, boolean toLeader) {
        delegate.routed(readOnly, toLeader);
    }

    @Override
    public void leaderWait(long nanos, boolean acquired) {
        delegate.leaderWait(nanos, acquired);
    }

    @Override
    public void unavailable() {
        delegate.unavailable();
    }

    @Override
    public void writeCommitted(MemberPool pool) {
        delegate.writeCommitted(pool);
    }

    @Override
    public void borrowTimedOut(MemberPool pool) {
        delegate.borrowTimedOut(pool);
    }

    @Override
    public void connectFailed(MemberPool pool, String sqlState) {
        delegate.connectFailed(pool, sqlState);
    }

    @Override
    public void connectionFailed(MemberPool pool, String sqlState, String reportedAs) {
        delegate.connectionFailed(pool, sqlState, reportedAs);
    }

    @Override
    public void retry(boolean readOnly, String sqlState) {
        delegate.retry(readOnly, sqlState);
    }

    @Override
    public String toString() {
        return "ClusterMetricsHub" + attachedMetrics();
    }

    /**
     * HikariCP's tracker for one pool: forwards to the trackers the attached implementations gave for it.
     * Installed in the pool when the first one arrives, so that a pool nobody measures keeps HikariCP's no-op.
     */
    private static final class Trackers implements IMetricsTracker {
        private volatile IMetricsTracker[] all = new IMetricsTracker[0];

        /** Called under the hub's lock. */
        void add(MemberPool pool, IMetricsTracker tracker) {
            if (tracker == null) {
                return;
            }
            IMetricsTracker[] now = Arrays.copyOf(all, all.length + 1);
            now[now.length - 1] = tracker;
            all = now;
            if (now.length == 1) {
                pool.trackWith(this);
            }
        }

        @Override
        public void recordConnectionCreatedMillis(long millis) {
            for (IMetricsTracker t : all) {
                t.recordConnectionCreatedMillis(millis);
            }
        }

        @Override
        public void recordConnectionAcquiredNanos(long nanos) {
            for (IMetricsTracker t : all) {
                t.recordConnectionAcquiredNanos(nanos);
            }
        }

        @Override
        public void recordConnectionUsageMillis(long millis) {
            for (IMetricsTracker t : all) {
                t.recordConnectionUsageMillis(millis);
            }
        }

        @Override
        public void recordConnectionTimeout() {
            for (IMetricsTracker t : all) {
                t.recordConnectionTimeout();
            }
        }

        @Override
        public void close() {
            for (IMetricsTracker t : all) {
                t.close();
            }
        }
    }

    /** Several attached implementations: the request-path events go to each, in order. */
    private static final class Composite implements ClusterMetrics {
        private final ClusterMetrics[] all;

        Composite(ClusterMetrics[] all) {
            this.all = all;
        }

        @Override
        public void routed(boolean readOnly, boolean toLeader) {
            for (ClusterMetrics m : all) {
                m.routed(readOnly, toLeader);
            }
        }

        @Override
        public void leaderWait(long nanos, boolean acquired) {
            for (ClusterMetrics m : all) {
                m.leaderWait(nanos, acquired);
            }
        }

        @Override
        public void unavailable() {
            for (ClusterMetrics m : all) {
                m.unavailable();
            }
        }

        @Override
        public void writeCommitted(MemberPool pool) {
            for (ClusterMetrics m : all) {
                m.writeCommitted(pool);
            }
        }

        @Override
        public void borrowTimedOut(MemberPool pool) {
            for (ClusterMetrics m : all) {
                m.borrowTimedOut(pool);
            }
        }

        @Override
        public void connectFailed(MemberPool pool, String sqlState) {
            for (ClusterMetrics m : all) {
                m.connectFailed(pool, sqlState);
            }
        }

        @Override
        public void connectionFailed(MemberPool pool, String sqlState, String reportedAs) {
            for (ClusterMetrics m : all) {
                m.connectionFailed(pool, sqlState, reportedAs);
            }
        }

        @Override
        public void retry(boolean readOnly, String sqlState) {
            for (ClusterMetrics m : all) {
                m.retry(readOnly, sqlState);
            }
        }
    }
}
