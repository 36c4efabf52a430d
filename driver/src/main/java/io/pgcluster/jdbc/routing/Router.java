package io.pgcluster.jdbc.routing;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfig.LoadBalance;
import io.pgcluster.jdbc.config.PgClusterConfig.ReadFallback;
import io.pgcluster.jdbc.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.metrics.ClusterMetrics;
import io.pgcluster.jdbc.pool.MemberPool;
import io.pgcluster.jdbc.pool.Pools;
import io.pgcluster.jdbc.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.jdbc.topology.TopologyListener;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the member for each physical connection: the leader for read-write work, an eligible replica for
 * read-only work.
 *
 * <p>The choice reads one immutable {@link RoutingTable} (a volatile read) rebuilt on every topology change, then
 * borrows from that member's pool. A replica is eligible when it is running, does not carry the
 * {@code noloadbalance} tag and lags no more than {@code maxReplicaLag}; a suspect member is skipped. Reads that
 * find no replica fall back to the leader or fail, as configured. Writes wait for a confirmed leader up to
 * {@code failoverTimeout}, then fail with SQLState 08001 and a message naming the cluster, the last known leader
 * and how long they waited.
 *
 * <p>Thread-safety: {@link #acquire} is safe for concurrent use; topology changes arrive on the topology thread.
 */
public final class Router implements TopologyListener {

    /**
     * A physical connection and the pool it came from.
     *
     * @param pool the member's pool, to return, evict or blame the connection
     * @param connection the physical (HikariCP) connection
     */
    public record Lease(MemberPool pool, Connection connection) {
    }

    private static final MemberPool[] NONE = new MemberPool[0];

    private final PgClusterConfig config;
    private final ClusterView view;
    private final Pools pools;
    private final ClusterMetrics metrics;
    private final LoadBalance loadBalance;
    private final ReadFallback readFallback;
    private final long maxLag;
    private final long failoverTimeoutNanos;
    private final long connectionTimeoutMillis;
    private final AtomicInteger next = new AtomicInteger();
    private volatile RoutingTable table;

    public Router(PgClusterConfig config, ClusterView view, Pools pools, ClusterMetrics metrics) {
        this.config = config;
        this.view = view;
        this.pools = pools;
        this.metrics = metrics;
        this.loadBalance = config.loadBalance();
        this.readFallback = config.readFallback();
        this.maxLag = config.maxReplicaLag();
        this.failoverTimeoutNanos = config.failoverTimeout().toNanos();
        this.connectionTimeoutMillis = config.connectionTimeout().toMillis();
        this.table = new RoutingTable(view.current(), null, NONE, List.of());
    }

    @Override
    public void onTopology(Topology previous, Topology current) {
        Pools.State state = pools.apply(previous, current);
        List<MemberPool> eligible = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        for (Member m : current.replicas()) {
            MemberPool p = state.reads().get(m.name());
            if (p == null) {
                excluded.add(m.name() + " (noloadbalance)");
            } else if (m.lagBytes() < 0) {
                excluded.add(m.name() + " (lag unknown)");
            } else if (m.lagBytes() > maxLag) {
                excluded.add(m.name() + " (lag " + m.lagBytes() + " B > maxReplicaLag " + maxLag + " B)");
            } else {
                eligible.add(p);
            }
        }
        eligible.sort(Comparator.comparing(p -> p.member().name()));
        table = new RoutingTable(current, state.write(), eligible.toArray(NONE), List.copyOf(excluded));
    }

    /** The routing table in force (for health output and tests). */
    public RoutingTable table() {
        return table;
    }

    /**
     * Borrows a physical connection for read-only ({@code readOnly}) or read-write work.
     *
     * @param avoid a member to avoid if another will do (the one that just failed), or {@code null}
     * @throws SQLException 08001 when no suitable member is available within the time allowed
     */
    public Lease acquire(boolean readOnly, MemberPool avoid) throws SQLException {
        long deadline = System.nanoTime() + failoverTimeoutNanos;
        if (readOnly) {
            return acquireRead(avoid, deadline);
        }
        Lease l = acquireLeader(deadline);
        metrics.routed(false, true);
        return l;
    }

    private Lease acquireRead(MemberPool avoid, long deadline) throws SQLException {
        while (true) {
            RoutingTable t = table;
            if (!t.topology().isKnown()) {
                awaitChange(t, deadline, true);
                continue;
            }
            Lease l = tryReplicas(t, avoid);
            if (l != null) {
                metrics.routed(true, false);
                return l;
            }
            if (readFallback == ReadFallback.FAIL) {
                throw new SQLTransientConnectionException("pgcluster: no replica of cluster '" + view.cluster()
                        + "' can take reads (" + describeReaders(t) + ") and readFallback=fail",
                        SqlStates.UNABLE_TO_CONNECT);
            }
            Lease leader = acquireLeader(deadline);
            metrics.routed(true, true);
            return leader;
        }
    }

    private Lease tryReplicas(RoutingTable t, MemberPool avoid) throws SQLException {
        MemberPool[] readers = t.readers();
        int n = readers.length;
        if (n == 0) {
            return null;
        }
        long now = System.nanoTime();
        int start = start(readers, now);
        MemberPool avoided = null;
        for (int i = 0; i < n; i++) {
            MemberPool p = readers[(start + i) % n];
            if (p.isSuspect(now)) {
                continue;
            }
            if (p == avoid && n > 1) {
                avoided = p;
                continue;
            }
            Lease l = tryBorrow(p);
            if (l != null) {
                return l;
            }
        }
        return avoided == null ? null : tryBorrow(avoided);
    }

    private int start(MemberPool[] readers, long now) {
        int n = readers.length;
        switch (loadBalance) {
            case RANDOM:
                return ThreadLocalRandom.current().nextInt(n);
            case LEAST_CONNECTIONS: {
                int best = -1;
                int bestActive = Integer.MAX_VALUE;
                int offset = (next.getAndIncrement() & Integer.MAX_VALUE) % n;
                for (int i = 0; i < n; i++) {
                    int k = (offset + i) % n;
                    MemberPool p = readers[k];
                    int a = p.activeConnections();
                    if (!p.isSuspect(now) && a < bestActive) {
                        best = k;
                        bestActive = a;
                    }
                }
                return best < 0 ? offset : best;
            }
            default:
                return (next.getAndIncrement() & Integer.MAX_VALUE) % n;
        }
    }

    /** Borrows from {@code p}; {@code null} when the member failed or was retired meanwhile. */
    private Lease tryBorrow(MemberPool p) throws SQLException {
        try {
            return new Lease(p, p.borrow(connectionTimeoutMillis));
        } catch (MemberPool.RetiredPoolException e) {
            return null;
        } catch (SQLException e) {
            if (Failures.isConnectionFailure(e)) {
                p.markSuspect(e);
                return null;
            }
            throw e;
        }
    }

    private Lease acquireLeader(long deadline) throws SQLException {
        long waitStart = 0;
        while (true) {
            RoutingTable t = table;
            MemberPool leader = t.leader();
            long now = System.nanoTime();
            if (leader != null && !leader.isSuspect(now)) {
                try {
                    if (leader.isConfirmed() || leader.confirm(deadline)) {
                        Lease l = tryBorrow(leader);
                        if (l != null) {
                            if (waitStart != 0) {
                                metrics.leaderWait(System.nanoTime() - waitStart);
                            }
                            return l;
                        }
                    }
                } catch (SQLException e) {
                    if (!Failures.isConnectionFailure(e)) {
                        throw e;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw interrupted(e);
                }
            }
            if (waitStart == 0) {
                waitStart = System.nanoTime();
            }
            if (System.nanoTime() - deadline >= 0) {
                metrics.leaderWait(System.nanoTime() - waitStart);
                throw noLeader(t, deadline);
            }
            awaitChange(t, deadline, false);
        }
    }

    private void awaitChange(RoutingTable t, long deadline, boolean forTopology) throws SQLException {
        long until = deadline;
        MemberPool leader = t.leader();
        if (leader != null && leader.suspectUntil() != 0 && leader.suspectUntil() - until < 0) {
            until = leader.suspectUntil();
        }
        try {
            view.awaitChange(t.topology(), until);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(e);
        }
        if (forTopology && !table.topology().isKnown() && System.nanoTime() - deadline >= 0) {
            throw new SQLTransientConnectionException("pgcluster: the topology of cluster '" + view.cluster()
                    + "' is still unknown after " + failoverTimeoutNanos / 1_000_000L + " ms: "
                    + table.topology().sourceProblem(), SqlStates.UNABLE_TO_CONNECT);
        }
    }

    private SQLException noLeader(RoutingTable t, long deadline) {
        Topology topo = t.topology();
        StringBuilder s = new StringBuilder("pgcluster: no leader for cluster '").append(view.cluster()).append('\'');
        if (config.scope() != null) {
            s.append(" (scope ").append(config.scope()).append(')');
        }
        s.append(" after waiting ").append(failoverTimeoutNanos / 1_000_000L).append(" ms (failoverTimeout)");
        s.append("; last known leader: ").append(view.lastKnownLeader() == null ? "none" : view.lastKnownLeader());
        MemberPool leader = t.leader();
        if (leader != null && leader.suspectReason() != null) {
            s.append("; ").append(leader.member().name()).append(" failed: ").append(leader.suspectReason());
        } else if (leader != null && !leader.isConfirmed()) {
            s.append("; ").append(leader.member().name()).append(" holds the leader key but is still in recovery");
        }
        s.append("; members: ").append(topo.members());
        if (!topo.sourceReachable()) {
            s.append("; topology source unreachable: ").append(topo.sourceProblem());
        }
        return new SQLTransientConnectionException(s.toString(), SqlStates.UNABLE_TO_CONNECT);
    }

    private static String describeReaders(RoutingTable t) {
        List<String> parts = new ArrayList<>(t.excluded());
        long now = System.nanoTime();
        for (MemberPool p : t.readers()) {
            if (p.isSuspect(now)) {
                parts.add(p.member().name() + " (failed: " + p.suspectReason() + ")");
            }
        }
        return parts.isEmpty() ? "no replicas" : String.join(", ", parts);
    }

    private static SQLException interrupted(InterruptedException e) {
        return new SQLException("pgcluster: interrupted while waiting for a connection", SqlStates.UNABLE_TO_CONNECT, e);
    }
}
