package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one write pool on the leader and one read pool per running replica, following the topology.
 *
 * <p>When a replica changes role or stops being eligible, its read pool is retired: idle connections close at once,
 * connections in use close when they are returned (reads in progress finish), and the pool shuts down once drained,
 * or after {@value #DRAIN_LIMIT_SECONDS} s. When a replica leaves the topology altogether (Patroni's key for it
 * expired: the host died or was cut off), its pool is shut down at once, aborting its connections in use: a read
 * waiting on a host that is gone would otherwise wait for TCP to give up, which on a silent network loss can take
 * many minutes; aborted, it fails with 08006 and is run again elsewhere when that is safe. When the leader changes
 * or is lost, the old leader's write pool is shut down at once, aborting its connections in use: a transaction
 * still open on a member that lost the leadership must fail (08006, or 08007 at COMMIT) rather than commit on a
 * server that may be rewound, or hang on one that is gone.
 *
 * <p>When the cluster's system identifier ({@link Topology#systemIdentifier()}) changes, every pool is retired at
 * once, aborting connections in use: the scope now names another cluster (removed from the DCS and bootstrapped
 * again), whose members may have the same names and addresses as the old one's.
 *
 * <p>Thread-safety: {@link #apply} runs on the topology thread; shutting pools down runs on the pools thread,
 * outside this object's lock; the accessors may be called from any thread.
 */
public final class Pools implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pools.class);
    private static final long DRAIN_LIMIT_SECONDS = 60;

    private final String cluster;
    private final PgClusterConfig config;
    private final ServerConnector connector;
    private final ScheduledExecutorService executor;
    private final Runnable refresh;
    private final ClusterMetricsHub metrics;
    private final Map<String, MemberPool> readPools = new HashMap<>();
    private final List<Retiring> retiring = new ArrayList<>();
    private final ScheduledFuture<?> drainer;
    private MemberPool writePool;
    private boolean closed;
    private String systemIdentifier; // the last one a snapshot showed; null until one does

    /**
     * A retired pool, shut down once drained or at {@code deadlineNanos}, whichever comes first; {@code abort}: its
     * connections in use are not waited for (the leader's, or a replica's that left the topology).
     */
    private record Retiring(MemberPool pool, long deadlineNanos, boolean abort) {
    }

    /**
     * The pools in service at one moment.
     *
     * @param write the leader's pool, or {@code null}
     * @param reads replica pools by member name
     */
    public record State(MemberPool write, Map<String, MemberPool> reads) {
    }

    /** Pools that report to no metrics. */
    public Pools(String cluster, PgClusterConfig config, ServerConnector connector, ScheduledExecutorService executor,
            Runnable refresh) {
        this(cluster, config, connector, executor, refresh, new ClusterMetricsHub(Topology.unknown(cluster,
                "no metrics")));
    }

    /**
     * @param executor the pools thread: shuts retired pools down and runs HikariCP's housekeeping for every pool
     * @param refresh the topology source's "look again now", run when a member refuses a connection
     * @param metrics told when pools open and close, and when a member refuses a connection
     */
    public Pools(String cluster, PgClusterConfig config, ServerConnector connector, ScheduledExecutorService executor,
            Runnable refresh, ClusterMetricsHub metrics) {
        this.cluster = cluster;
        this.config = config;
        this.connector = connector;
        this.executor = executor;
        this.refresh = refresh;
        this.metrics = metrics;
        this.drainer = executor.scheduleWithFixedDelay(this::drain, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Brings the pools in line with {@code current} and returns the pools in service. A failure to open or retire a
     * pool is logged, and the pools in service then are returned: routing must follow the topology regardless.
     */
    public synchronized State apply(Topology previous, Topology current) {
        if (closed || !current.isKnown()) {
            return state();
        }
        try {
            follow(previous, current);
        } catch (RuntimeException e) {
            log.error("pgcluster {}: could not bring the pools in line with {}", cluster, current, e);
        }
        return state();
    }

    private void follow(Topology previous, Topology current) {
        if (newIncarnation(current)) {
            retireAll();
        }
        Member leader = current.leader();
        if (writePool != null && (leader == null || !writePool.member().sameServer(leader))) {
            MemberPool old = writePool;
            writePool = null;
            old.retire();
            retiring.add(new Retiring(old, System.nanoTime(), true));
            drainSoon();
        }
        if (leader != null && writePool == null) {
            writePool = newPool(leader, true);
        } else if (leader != null && changed(previous.member(leader.name()), leader)) {
            writePool.clearSuspect();
        }
        Map<String, Member> wanted = new HashMap<>();
        for (Member m : current.replicas()) {
            if (!m.noLoadBalance()) {
                wanted.put(m.name(), m);
            }
        }
        readPools.entrySet().removeIf(e -> {
            Member m = wanted.get(e.getKey());
            if (m == null || !m.sameServer(e.getValue().member())) {
                boolean left = current.member(e.getKey()) == null;
                e.getValue().retire();
                retiring.add(new Retiring(e.getValue(), System.nanoTime()
                        + (left ? 0 : TimeUnit.SECONDS.toNanos(DRAIN_LIMIT_SECONDS)), left));
                if (left) {
                    drainSoon();
                }
                return true;
            }
            return false;
        });
        for (Member m : wanted.values()) {
            MemberPool p = readPools.get(m.name());
            if (p == null) {
                readPools.put(m.name(), newPool(m, false));
            } else if (changed(previous.member(m.name()), m)) {
                p.clearSuspect();
            }
        }
    }

    /**
     * Whether {@code current} shows a system identifier other than the last one seen: the DCS now describes another
     * cluster (removed and bootstrapped again) under the same scope, possibly on the same members and addresses, so
     * that a pool kept by member and address would hand out connections to the old cluster's servers, or through a
     * proxy (PgBouncer, HAProxy) to a server of the new one with the old one's session state. A snapshot without one
     * (a source that does not show it, or the moment between removal and bootstrap) changes nothing.
     */
    private boolean newIncarnation(Topology current) {
        String id = current.systemIdentifier();
        if (id == null) {
            return false;
        }
        String before = systemIdentifier;
        systemIdentifier = id;
        if (before == null || before.equals(id)) {
            return false;
        }
        log.warn("pgcluster {}: the cluster's system identifier changed from {} to {} (it was removed from the DCS "
                + "and bootstrapped again); closing every pool so that no connection to the old cluster is used again",
                cluster, before, id);
        return true;
    }

    /** Retires every pool at once, aborting connections in use: none of them may serve the new cluster. */
    private void retireAll() {
        if (writePool != null) {
            writePool.retire();
            retiring.add(new Retiring(writePool, System.nanoTime(), true));
            writePool = null;
        }
        for (MemberPool p : readPools.values()) {
            p.retire();
            retiring.add(new Retiring(p, System.nanoTime(), true));
        }
        readPools.clear();
        drainSoon();
    }

    /** A snapshot of the pools in service. */
    public synchronized State state() {
        return new State(writePool, Map.copyOf(readPools));
    }

    /** Whether a fresh report says something about the member that its failure could have changed. */
    private static boolean changed(Member before, Member now) {
        return before == null || before.role() != now.role() || !before.state().equals(now.state())
                || before.timeline() != now.timeline() || !before.address().equals(now.address());
    }

    private MemberPool newPool(Member m, boolean write) {
        log.debug("pgcluster {}: opening {} pool for {}", cluster, write ? "write" : "read", m);
        MemberPool p = new MemberPool(cluster, m, write, config, connector, executor, refresh, metrics);
        metrics.poolOpened(p);
        return p;
    }

    private void shutDown(MemberPool p) {
        p.close();
        metrics.poolClosed(p);
    }

    private void drainSoon() {
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // closing: close() shuts every pool down
        }
    }

    /** Shuts down retired pools that are drained (or overdue), outside the lock. */
    private void drain() {
        List<MemberPool> done = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            retiring.removeIf(r -> {
                boolean overdue = now - r.deadlineNanos >= 0;
                if (r.pool.activeConnections() == 0 || overdue) {
                    int active = r.pool.activeConnections();
                    if (active > 0 && r.abort && !r.pool.isWrite()) {
                        log.warn("pgcluster {}: {} left the topology with {} connection(s) in use; aborting them",
                                cluster, r.pool, active);
                    } else if (active > 0 && !r.pool.isWrite()) {
                        log.warn("pgcluster {}: {} still had {} connection(s) in use {} s after it was retired; "
                                + "closing it", cluster, r.pool, active, DRAIN_LIMIT_SECONDS);
                    }
                    done.add(r.pool);
                    return true;
                }
                return false;
            });
        }
        done.forEach(this::shutDown);
    }

    /** Shuts every pool down, aborting connections in use. */
    @Override
    public void close() {
        List<MemberPool> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            drainer.cancel(false);
            if (writePool != null) {
                all.add(writePool);
                writePool = null;
            }
            all.addAll(readPools.values());
            readPools.clear();
            retiring.forEach(r -> all.add(r.pool));
            retiring.clear();
        }
        all.forEach(this::shutDown);
    }
}
