package io.pgcluster.jdbc.pool;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.ServerConnector;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one write pool on the leader and one read pool per running replica, following the topology.
 *
 * <p>When a member changes role or leaves, its pool is retired: idle connections close at once (so the old
 * leader's idle connections are gone the moment a new leader is known), connections in use close when they are
 * returned, and the pool shuts down once drained (or after {@value #DRAIN_LIMIT_SECONDS} s). A new write pool
 * confirms its member is out of recovery right away, on the pools thread, so that the first write after a
 * failover does not pay for it.
 *
 * <p>Thread-safety: {@link #apply} runs on the topology thread; the accessors may be read from any thread.
 */
public final class Pools implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pools.class);
    private static final long DRAIN_LIMIT_SECONDS = 60;

    private final String cluster;
    private final PgClusterConfig config;
    private final ServerConnector connector;
    private final ScheduledExecutorService executor;
    private final ThreadFactory threadFactory;
    private final Runnable onSuspect;
    private final Map<String, MemberPool> readPools = new HashMap<>();
    private final List<Retiring> retiring = new ArrayList<>();
    private final ScheduledFuture<?> drainer;
    private MemberPool writePool;
    private boolean closed;

    private record Retiring(MemberPool pool, long sinceNanos) {
    }

    /**
     * @param executor the pools thread: runs confirmations, drains retired pools and HikariCP's housekeeping
     * @param onSuspect run when a member becomes suspect (asks the source to look again)
     */
    public Pools(String cluster, PgClusterConfig config, ServerConnector connector, ScheduledExecutorService executor,
            ThreadFactory threadFactory, Runnable onSuspect) {
        this.cluster = cluster;
        this.config = config;
        this.connector = connector;
        this.executor = executor;
        this.threadFactory = threadFactory;
        this.onSuspect = onSuspect;
        this.drainer = executor.scheduleWithFixedDelay(this::drain, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Brings the pools in line with {@code current}.
     *
     * @return the write pool (or {@code null} without a leader) and the read pools by member name
     */
    public synchronized State apply(Topology previous, Topology current) {
        if (closed || !current.isKnown()) {
            return state();
        }
        Member leader = current.leader();
        if (writePool != null && (leader == null || !writePool.member().sameServer(leader))) {
            retire(writePool);
            writePool = null;
        }
        if (leader != null && writePool == null) {
            writePool = newPool(leader, true);
            MemberPool p = writePool;
            long deadline = System.nanoTime() + config.failoverTimeout().toNanos();
            submit(() -> confirmQuietly(p, deadline));
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
                retire(e.getValue());
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
        return state();
    }

    /** A snapshot of the pools in service. */
    public synchronized State state() {
        return new State(writePool, Map.copyOf(readPools));
    }

    /**
     * The pools in service at one moment.
     *
     * @param write the leader's pool, or {@code null}
     * @param reads replica pools by member name
     */
    public record State(MemberPool write, Map<String, MemberPool> reads) {
    }

    /** Whether a fresh report says something about the member that its failure could have changed. */
    private static boolean changed(Member before, Member now) {
        return before == null || before.role() != now.role() || !before.state().equals(now.state())
                || before.timeline() != now.timeline() || !before.address().equals(now.address());
    }

    private MemberPool newPool(Member m, boolean write) {
        log.debug("pgcluster {}: opening {} pool for {}", cluster, write ? "write" : "read", m);
        return new MemberPool(cluster, m, write, config, connector, executor, threadFactory, onSuspect);
    }

    private void retire(MemberPool p) {
        log.debug("pgcluster {}: retiring {}", cluster, p);
        p.retire();
        retiring.add(new Retiring(p, System.nanoTime()));
    }

    private void confirmQuietly(MemberPool p, long deadline) {
        try {
            p.confirm(deadline);
        } catch (SQLException e) {
            log.debug("pgcluster {}: could not confirm {} yet: {}", cluster, p, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private synchronized void drain() {
        long now = System.nanoTime();
        retiring.removeIf(r -> r.pool.closeIfDrained()
                || (now - r.sinceNanos > TimeUnit.SECONDS.toNanos(DRAIN_LIMIT_SECONDS) && forceClose(r.pool)));
    }

    private boolean forceClose(MemberPool p) {
        log.warn("pgcluster {}: {} still had {} connection(s) in use {} s after retirement; closing it", cluster, p,
                p.activeConnections(), DRAIN_LIMIT_SECONDS);
        p.close();
        return true;
    }

    /** Shuts every pool down. */
    @Override
    public synchronized void close() {
        closed = true;
        drainer.cancel(false);
        if (writePool != null) {
            writePool.close();
            writePool = null;
        }
        readPools.values().forEach(MemberPool::close);
        readPools.clear();
        retiring.forEach(r -> r.pool.close());
        retiring.clear();
    }
}
