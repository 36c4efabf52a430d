package io.pgcluster.jdbc.internal.metrics;

import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.jdbc.topology.TopologyListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;
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

        /** The one loop over them; each event is a method reference, so a call allocates nothing. */
        private void each(ObjLongConsumer<ConnectionTimings> event, long value) {
            for (ConnectionTimings t : all) {
                event.accept(t, value);
            }
        }

        @Override
        public void connectionCreated(long millis) {
            each(ConnectionTimings::connectionCreated, millis);
        }

        @Override
        public void connectionAcquired(long nanos) {
            each(ConnectionTimings::connectionAcquired, nanos);
        }

        @Override
        public void connectionUsed(long millis) {
            each(ConnectionTimings::connectionUsed, millis);
        }

        @Override
        public void connectionTimedOut() {
            each((t, unused) -> t.connectionTimedOut(), 0);
        }
    }

    /**
     * Several attached implementations: the request-path events go to each, in order, through one loop. An event is
     * a constant (a method reference, or a lambda that captures nothing) and its arguments are passed along, so that
     * the events of every statement and transaction ({@code routed}, {@code statementRouted}, {@code freshRead},
     * {@code writeCommitted}) allocate nothing: booleans box to {@code Boolean}'s two constants. Only events of
     * failure paths may allocate (a boxed wait time, a lambda holding a third argument).
     */
    private static final class Composite implements ClusterMetrics {
        /** One event with up to two arguments, told to one implementation. */
        @FunctionalInterface
        private interface Event<A, B> {
            void tell(ClusterMetrics m, A a, B b);
        }

        private final ClusterMetrics[] all;

        Composite(ClusterMetrics[] all) {
            this.all = all;
        }

        private <A, B> void each(Event<A, B> event, A a, B b) {
            for (ClusterMetrics m : all) {
                event.tell(m, a, b);
            }
        }

        @Override
        public void routed(boolean readOnly, boolean toLeader) {
            each(ClusterMetrics::routed, readOnly, toLeader);
        }

        @Override
        public void statementRouted(boolean read) {
            each((m, r, unused) -> m.statementRouted(r), read, null);
        }

        @Override
        public void freshRead(boolean waited, boolean toLeader) {
            each(ClusterMetrics::freshRead, waited, toLeader);
        }

        @Override
        public void leaderWait(long nanos, boolean acquired) {
            each(ClusterMetrics::leaderWait, nanos, acquired);
        }

        @Override
        public void drainHeld() {
            each((m, a, b) -> m.drainHeld(), null, null);
        }

        @Override
        public void unavailable() {
            each((m, a, b) -> m.unavailable(), null, null);
        }

        @Override
        public void writeCommitted(Member leader) {
            each((m, l, unused) -> m.writeCommitted(l), leader, null);
        }

        @Override
        public void borrowTimedOut(Member member, Access access) {
            each(ClusterMetrics::borrowTimedOut, member, access);
        }

        @Override
        public void connectFailed(Member member, Access access, String sqlState) {
            each((m, mb, ac) -> m.connectFailed(mb, ac, sqlState), member, access);
        }

        @Override
        public void connectionFailed(Member member, Access access, String sqlState, String reportedAs) {
            each((m, mb, ac) -> m.connectionFailed(mb, ac, sqlState, reportedAs), member, access);
        }

        @Override
        public void retry(boolean readOnly, String sqlState) {
            each(ClusterMetrics::retry, readOnly, sqlState);
        }
    }
}
