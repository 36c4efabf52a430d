package io.pgcluster.jdbc.internal.metrics;

import io.pgcluster.jdbc.topology.Member;
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
 * What a cluster's parts report to, from construction on, and that forwards to the {@link ClusterMetrics}
 * implementations attached later (see {@code PgClusterDataSource.addMetrics}). The parts name a pool as an
 * {@link ObservedPool}; attached implementations hear of its member and {@link Access} only.
 *
 * <p>Events of the request path (routing, waits, commits, failures, retries) read one volatile field, the
 * delegate: {@link ClusterMetrics#NOOP} until something is attached, then that implementation (or a composite of
 * several). So without metrics the hot path pays one call to an empty method and no branch, and with them one
 * more interface call. Topology and pool events, rare, are delivered under this object's lock, which also
 * replays the current topology and open pools to an implementation being attached, so that it misses nothing and
 * sees nothing twice. The pools' own timings reach attached implementations through one {@link ConnectionTimings}
 * per pool, installed in the running pool when the first implementation that wants it is attached, so that a pool
 * nobody measures keeps the pool's own no-op.
 *
 * <pre>{@code
 * ClusterMetricsHub hub = new ClusterMetricsHub(view.current());
 * view.addListener(hub);                                   // before routing: sees a new leader first
 * Pools pools = new Pools(name, config, connector, executor, source::refresh, hub);
 * hub.attach(myMetrics);                                   // any time later, from any thread
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class ClusterMetricsHub implements TopologyListener {
    private static final Logger log = LoggerFactory.getLogger(ClusterMetricsHub.class);

    private volatile ClusterMetrics delegate = ClusterMetrics.NOOP;
    // Guarded by this:
    private final List<ClusterMetrics> attached = new ArrayList<>();
    private final Map<ObservedPool, Timings> pools = new LinkedHashMap<>();
    private Topology topology;
    private boolean closed;

    /** Forwards the request-path events to whatever is attached at the time; for code that takes an observer. */
    private final ClusterMetrics forwarding = new ClusterMetrics() {
        @Override
        public void routed(boolean readOnly, boolean toLeader) {
            delegate.routed(readOnly, toLeader);
        }

        @Override
        public void leaderWait(long nanos, boolean acquired) {
            delegate.leaderWait(nanos, acquired);
        }

        @Override
        public void drainHeld() {
            delegate.drainHeld();
        }

        @Override
        public void unavailable() {
            delegate.unavailable();
        }

        @Override
        public void retry(boolean readOnly, String sqlState) {
            delegate.retry(readOnly, sqlState);
        }

        @Override
        public String toString() {
            return ClusterMetricsHub.this.toString();
        }
    };

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
     * {@link ClusterMetrics#closed()}.
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
        for (Map.Entry<ObservedPool, Timings> e : pools.entrySet()) {
            opened(metrics, e.getKey(), e.getValue());
        }
        attached.add(metrics);
        delegate = attached.size() == 1 ? metrics : new Composite(attached.toArray(new ClusterMetrics[0]));
    }

    /** The implementations attached, in order (for tests). */
    synchronized List<ClusterMetrics> attachedMetrics() {
        return List.copyOf(attached);
    }

    /**
     * The request-path events (routing, waits, unavailability, retries) as a {@link ClusterMetrics}, forwarded to
     * whatever is attached when each event happens.
     */
    public ClusterMetrics forwarding() {
        return forwarding;
    }

    /** Tells every attached implementation that the data source closed, and detaches them all. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        delegate = ClusterMetrics.NOOP;
        for (ClusterMetrics m : attached) {
            safely(m, "closed", m::closed);
        }
        attached.clear();
        pools.clear();
    }

    /** A topology snapshot was published; see {@link ClusterMetrics#onTopology}. */
    @Override
    public synchronized void onTopology(Topology previous, Topology current) {
        topology = current;
        for (ClusterMetrics m : attached) {
            safely(m, "onTopology", () -> m.onTopology(previous, current));
        }
    }

    /** A pool was opened; see {@link ClusterMetrics#poolOpened}. */
    public synchronized void poolOpened(ObservedPool pool) {
        if (closed) {
            return;
        }
        Timings t = new Timings(pool);
        pools.put(pool, t);
        for (ClusterMetrics m : attached) {
            opened(m, pool, t);
        }
    }

    private static void opened(ClusterMetrics m, ObservedPool pool, Timings t) {
        safely(m, "poolOpened", () -> {
            m.poolOpened(pool.member(), pool.access(), pool);
            t.add(m.poolTimings(pool.member(), pool.access()));
        });
    }

    /** A pool was shut down; see {@link ClusterMetrics#poolClosed}. */
    public synchronized void poolClosed(ObservedPool pool) {
        if (pools.remove(pool) == null) {
            return;
        }
        for (ClusterMetrics m : attached) {
            safely(m, "poolClosed", () -> m.poolClosed(pool.member(), pool.access(), pool));
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

    /** See {@link ClusterMetrics#routed}. */
    public void routed(boolean readOnly, boolean toLeader) {
        delegate.routed(readOnly, toLeader);
    }

    /** See {@link ClusterMetrics#statementRouted}. */
    public void statementRouted(boolean read) {
        delegate.statementRouted(read);
    }

    /** See {@link ClusterMetrics#freshRead}. */
    public void freshRead(boolean waited, boolean toLeader) {
        delegate.freshRead(waited, toLeader);
    }

    /** See {@link ClusterMetrics#leaderWait}. */
    public void leaderWait(long nanos, boolean acquired) {
        delegate.leaderWait(nanos, acquired);
    }

    /** See {@link ClusterMetrics#drainHeld}. */
    public void drainHeld() {
        delegate.drainHeld();
    }

    /** See {@link ClusterMetrics#unavailable}. */
    public void unavailable() {
        delegate.unavailable();
    }

    /** See {@link ClusterMetrics#writeCommitted}; a commit on a read pool is not reported. */
    public void writeCommitted(ObservedPool pool) {
        if (pool.access() == Access.WRITE) {
            delegate.writeCommitted(pool.member());
        }
    }

    /** See {@link ClusterMetrics#borrowTimedOut}. */
    public void borrowTimedOut(ObservedPool pool) {
        delegate.borrowTimedOut(pool.member(), pool.access());
    }

    /** See {@link ClusterMetrics#connectFailed}. */
    public void connectFailed(ObservedPool pool, String sqlState) {
        delegate.connectFailed(pool.member(), pool.access(), sqlState);
    }

    /**
     * See {@link ClusterMetrics#connectionFailed}.
     *
     * @param pool the pool the connection came from, or {@code null} if unknown
     */
    public void connectionFailed(ObservedPool pool, String sqlState, String reportedAs) {
        delegate.connectionFailed(pool == null ? null : pool.member(), pool == null ? null : pool.access(), sqlState,
                reportedAs);
    }

    /** See {@link ClusterMetrics#retry}. */
    public void retry(boolean readOnly, String sqlState) {
        delegate.retry(readOnly, sqlState);
    }

    @Override
    public String toString() {
        return "ClusterMetricsHub" + attachedMetrics();
    }

    /**
     * The timings of one pool: forwards to those the attached implementations gave for it. Installed in the pool when
     * the first one arrives, so that a pool nobody measures keeps the pool's no-op.
     */
    private static final class Timings implements ConnectionTimings {
        private final ObservedPool pool;
        private volatile ConnectionTimings[] all = new ConnectionTimings[0];

        Timings(ObservedPool pool) {
            this.pool = pool;
        }

        /** Called under the hub's lock. */
        void add(ConnectionTimings timings) {
            if (timings == null) {
                return;
            }
            ConnectionTimings[] now = Arrays.copyOf(all, all.length + 1);
            now[now.length - 1] = timings;
            all = now;
            if (now.length == 1) {
                pool.timeWith(this);
            }
        }

        @Override
        public void connectionCreated(long millis) {
            for (ConnectionTimings t : all) {
                t.connectionCreated(millis);
            }
        }

        @Override
        public void connectionAcquired(long nanos) {
            for (ConnectionTimings t : all) {
                t.connectionAcquired(nanos);
            }
        }

        @Override
        public void connectionUsed(long millis) {
            for (ConnectionTimings t : all) {
                t.connectionUsed(millis);
            }
        }

        @Override
        public void connectionTimedOut() {
            for (ConnectionTimings t : all) {
                t.connectionTimedOut();
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
        public void statementRouted(boolean read) {
            for (ClusterMetrics m : all) {
                m.statementRouted(read);
            }
        }

        @Override
        public void freshRead(boolean waited, boolean toLeader) {
            for (ClusterMetrics m : all) {
                m.freshRead(waited, toLeader);
            }
        }

        @Override
        public void leaderWait(long nanos, boolean acquired) {
            for (ClusterMetrics m : all) {
                m.leaderWait(nanos, acquired);
            }
        }

        @Override
        public void drainHeld() {
            for (ClusterMetrics m : all) {
                m.drainHeld();
            }
        }

        @Override
        public void unavailable() {
            for (ClusterMetrics m : all) {
                m.unavailable();
            }
        }

        @Override
        public void writeCommitted(Member leader) {
            for (ClusterMetrics m : all) {
                m.writeCommitted(leader);
            }
        }

        @Override
        public void borrowTimedOut(Member member, Access access) {
            for (ClusterMetrics m : all) {
                m.borrowTimedOut(member, access);
            }
        }

        @Override
        public void connectFailed(Member member, Access access, String sqlState) {
            for (ClusterMetrics m : all) {
                m.connectFailed(member, access, sqlState);
            }
        }

        @Override
        public void connectionFailed(Member member, Access access, String sqlState, String reportedAs) {
            for (ClusterMetrics m : all) {
                m.connectionFailed(member, access, sqlState, reportedAs);
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
