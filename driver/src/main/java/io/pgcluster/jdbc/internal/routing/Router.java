package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfig.LoadBalance;
import io.pgcluster.jdbc.config.PgClusterConfig.ReadFallback;
import io.pgcluster.jdbc.internal.failover.ClusterUnavailableException;
import io.pgcluster.jdbc.internal.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the member for each physical connection: the leader for read-write work, an eligible replica for
 * read-only work.
 *
 * <p>The choice reads one immutable {@link RoutingTable} (a volatile read), rebuilt on every topology change, then
 * borrows from that member's pool. A replica is eligible when it is running, does not carry the
 * {@code noloadbalance} tag and lags no more than {@code maxReplicaLag}; a suspect member is skipped, and a replica
 * whose pool is saturated is passed over for one with room. Reads that find no replica fall back to the leader or
 * fail, as configured. Writes wait for the leader up to {@code failoverTimeout}, then fail with a
 * {@link ClusterUnavailableException} naming the cluster, the last known leader and how long they waited.
 *
 * <p>The router opens and closes no pool: {@link Pools} follows the topology and hands it the pools in service
 * ({@link #update}); the balancing order among replicas is the configured {@link LoadBalance}'s.
 *
 * <p>Thread-safety: {@link #acquire} is safe for concurrent use; {@link #update} runs on the topology thread.
 */
public final class Router {
    /**
     * Who borrows through {@link #acquire}: told which pool the connection it gets came from. The borrower itself
     * implements it, so that a borrow allocates no object to carry the connection and its pool together.
     */
    public interface Borrower {
        /**
         * The connection {@link #acquire} is about to return comes from {@code pool} (to return, evict or blame it).
         * Called once per successful acquisition, just before it returns.
         */
        void borrowedFrom(MemberPool pool);
    }

    /** For callers that need no pool (tests). */
    private static final Borrower NOBODY = pool -> { };
    private static final MemberPool[] NONE = new MemberPool[0];
    /** Longest single wait inside HikariCP before the borrower checks the member and the table again. */
    static final long SLICE_MILLIS = 100;

    private final PgClusterConfig config;
    private final ClusterView view;
    private final ClusterMetricsHub metrics;
    private final LoadBalance loadBalance;
    private final ReadFallback readFallback;
    private final long maxLag;
    private final long failoverTimeoutNanos;
    private final long connectionTimeoutMillis;
    private final long connectionTimeoutNanos;
    private final WritePositions positions;
    private final long catchUpNanos;
    private final AtomicInteger next = new AtomicInteger();
    private final Object tableChanged = new Object();
    private volatile RoutingTable table;
    private final SwitchoverDrain drain;

    /**
     * @param view the cluster's name and last known leader, for error messages
     * @param metrics told of every routing decision and wait
     */
    public Router(PgClusterConfig config, ClusterView view, ClusterMetricsHub metrics) {
        this(config, view, metrics, new WritePositions(config));
    }

    /**
     * @param positions the positions reads must see (read-your-writes), shared with what learns them at commit
     */
    public Router(PgClusterConfig config, ClusterView view, ClusterMetricsHub metrics, WritePositions positions) {
        this.positions = positions;
        this.catchUpNanos = config.readYourWritesTimeout().toNanos();
        this.config = config;
        this.view = view;
        this.metrics = metrics;
        this.loadBalance = config.loadBalance();
        this.readFallback = config.readFallback();
        this.maxLag = config.maxReplicaLag();
        this.failoverTimeoutNanos = config.failoverTimeout().toNanos();
        this.connectionTimeoutMillis = config.connectionTimeout().toMillis();
        this.connectionTimeoutNanos = config.connectionTimeout().toNanos();
        this.table = new RoutingTable(view.current(), null, NONE, List.of(), false);
        this.drain = new SwitchoverDrain(view.cluster(), config.switchoverDrain().toNanos(), System::nanoTime,
                System::currentTimeMillis);
    }

    /**
     * Routes by {@code current} from now on, to the pools in service ({@link Pools#apply}, which opened and retired
     * them for this snapshot). Called on the topology thread.
     */
    public void update(Topology current, Pools.State state) {
        positions.leaderIs(current.leader());
        List<MemberPool> eligible = new ArrayList<>();
        List<Exclusion> excluded = new ArrayList<>();
        for (Member m : current.replicas()) {
            MemberPool p = state.reads().get(m.name());
            // a standby cluster's standby leader is where its WAL comes from: nothing in this cluster is ahead of it
            long lag = m.role() == Role.STANDBY_LEADER ? 0 : m.lagBytes();
            if (p == null) {
                excluded.add(Exclusion.of(m.name(), Exclusion.Reason.NO_LOAD_BALANCE));
            } else if (lag < 0) {
                excluded.add(Exclusion.of(m.name(), Exclusion.Reason.LAG_UNKNOWN));
            } else if (lag > maxLag) {
                excluded.add(Exclusion.lagging(m.name(), lag, maxLag));
            } else {
                eligible.add(p);
            }
        }
        eligible.sort(Comparator.comparing(p -> p.member().name()));
        drain.apply(current, state.write());
        publish(new RoutingTable(current, state.write(), eligible.toArray(NONE), List.copyOf(excluded),
                table.closed()));
    }

    /** Refuses every later acquisition with SQLState 08003 and wakes threads waiting for a leader. */
    public void close() {
        RoutingTable t = table;
        publish(new RoutingTable(t.topology(), null, NONE, List.of(), true));
    }

    private void publish(RoutingTable t) {
        synchronized (tableChanged) {
            table = t;
            tableChanged.notifyAll();
        }
    }

    /** Writes held off a draining leader since the data source started (for tests). */
    long drainHeld() {
        return drain.heldCount();
    }

    /** The routing table in force (for health output and tests). */
    public RoutingTable table() {
        return table;
    }

    /**
     * Borrows a physical connection for read-only ({@code readOnly}) or read-write work.
     *
     * @param avoid a member to avoid if another will do (the one that just failed), or {@code null}
     * @throws ClusterUnavailableException when no suitable member is available within the time allowed
     * @throws SQLException HikariCP's timeout when the chosen pool is saturated; 08003 when closed
     */
    public Connection acquire(boolean readOnly, MemberPool avoid) throws SQLException {
        return acquire(readOnly, avoid, System.nanoTime() + failoverTimeoutNanos, NOBODY);
    }

    /**
     * As {@link #acquire(boolean, MemberPool)}, waiting for a member no later than {@code deadlineNanos} (a
     * {@link System#nanoTime()} value the caller computed once for its statement or unit of work), and telling
     * {@code borrower} the pool the connection came from.
     */
    public Connection acquire(boolean readOnly, MemberPool avoid, long deadlineNanos, Borrower borrower)
            throws SQLException {
        long start = System.nanoTime();
        if (readOnly) {
            return acquireRead(avoid, start, deadlineNanos, borrower);
        }
        Connection c = acquireLeader(start, deadlineNanos, borrower, true);
        metrics.routed(false, true);
        return c;
    }

    private Connection acquireRead(MemberPool avoid, long start, long deadline, Borrower borrower)
            throws SQLException {
        while (true) {
            RoutingTable t = table;
            checkOpen(t);
            if (!t.topology().isKnown()) {
                long limit = limit(t, start, deadline);
                if (System.nanoTime() - limit >= 0) {
                    metrics.unavailable();
                    throw new ClusterUnavailableException("pgcluster: the topology of cluster '" + view.cluster()
                            + "' is still unknown after " + millisSince(start) + " ms: "
                            + t.topology().sourceProblem(), null);
                }
                awaitChange(t, limit);
                continue;
            }
            long required = positions.required(t.topology().leader());
            Connection c;
            if (required == WritePositions.NONE) {
                c = tryReplicas(t, avoid, borrower);
            } else {
                Borrowed b = new Borrowed(borrower);
                c = tryReplicas(t, avoid, b);
                if (c != null && !caughtUp(b.pool, c, required)) {
                    return freshFromLeader(t, b.pool, c, start, deadline, borrower);
                }
            }
            if (c != null) {
                metrics.routed(true, false);
                return c;
            }
            if (readFallback == ReadFallback.FAIL) {
                metrics.unavailable();
                throw new ClusterUnavailableException("pgcluster: no replica of cluster '" + view.cluster()
                        + "' can take reads (" + describeReaders(t) + ") and readFallback=fail", null);
            }
            Connection leader = acquireLeader(start, deadline, borrower, false);
            metrics.routed(true, true);
            return leader;
        }
    }

    /** Remembers the pool of the connection borrowed, for a read that must check its replica's position. */
    private static final class Borrowed implements Borrower {
        private final Borrower borrower;
        private MemberPool pool;

        Borrowed(Borrower borrower) {
            this.borrower = borrower;
        }

        @Override
        public void borrowedFrom(MemberPool p) {
            pool = p;
            borrower.borrowedFrom(p);
        }
    }

    /** Longest pause between two looks at a replica's replay position while a read waits for it. */
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Whether replica connection {@code c} of {@code p} may serve a read that must see {@code required}: when the
     * member's last known replay position covers it, at once; else when {@code pg_last_wal_replay_lsn()} on
     * {@code c} does, looking again every {@link #POLL_NANOS} for up to {@code readYourWritesTimeout}. A connection
     * that fails here is evicted and closed (nothing was sent for the caller).
     */
    private boolean caughtUp(MemberPool p, Connection c, long required) throws SQLException {
        if (p.isWrite() || Long.compareUnsigned(p.replayed(), required) >= 0) {
            metrics.freshRead(false, false);
            return true;
        }
        long deadline = System.nanoTime() + catchUpNanos;
        boolean waited = false;
        try {
            while (true) {
                long replayed = replayPosition(c);
                p.replayedAtLeast(replayed);
                if (Long.compareUnsigned(replayed, required) >= 0) {
                    metrics.freshRead(waited, false);
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                waited = true;
                TimeUnit.NANOSECONDS.sleep(Math.min(left, POLL_NANOS));
            }
        } catch (InterruptedException e) {
            c.close();
            throw interrupted("replica " + p.member().name() + " to replay " + WritePositions.format(required), e);
        } catch (SQLException e) {
            p.evict(c);
            c.close();
            return false;
        }
    }

    /**
     * Replica {@code c} of {@code replica} has not replayed what the read must see: the read goes to the leader,
     * which has. But a read never waits for a leader for this: when the leader is suspect or gives no connection at
     * its one attempt (a kill -9 the topology has not reported yet), the replica serves the read after all, its data
     * being the freshest there is; when the replica's own connection failed, the read waits for the leader as a read
     * falling back to it does.
     */
    private Connection freshFromLeader(RoutingTable t, MemberPool replica, Connection c, long start, long deadline,
            Borrower borrower) throws SQLException {
        if (c.isClosed()) {
            Connection leader = acquireLeader(start, deadline, borrower, false);
            metrics.freshRead(true, true);
            metrics.routed(true, true);
            return leader;
        }
        MemberPool leader = t.leader();
        if (leader != null && !leader.isSuspect(System.nanoTime())) {
            try {
                Connection l = acquireLeader(start, System.nanoTime(), borrower, false); // one attempt, no waiting
                c.close();
                metrics.freshRead(catchUpNanos > 0, true);
                metrics.routed(true, true);
                return l;
            } catch (SQLException e) {
                if (SqlStates.INTERRUPTED.equals(e.getSQLState())) {
                    c.close();
                    throw e;
                }
            }
        }
        borrower.borrowedFrom(replica);
        metrics.routed(true, false);
        return c;
    }

    /**
     * How far the server of {@code c} has replayed; {@code Long.MAX_VALUE} for a server not in recovery (a replica
     * just promoted: what it has is all there is).
     */
    private static long replayPosition(Connection c) throws SQLException {
        try (java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery("SELECT pg_last_wal_replay_lsn()")) {
            rs.next();
            String lsn = rs.getString(1);
            return lsn == null ? Long.MAX_VALUE : WritePositions.parse(lsn);
        }
    }

    /**
     * Tries the eligible replicas in balancing order: first those with room (an idle connection, or room to open
     * one), then, if all are saturated, waits on the first of them. Suspect members are skipped; {@code avoid}
     * only when another will do.
     */
    private Connection tryReplicas(RoutingTable t, MemberPool avoid, Borrower borrower) throws SQLException {
        MemberPool[] readers = t.readers();
        int n = readers.length;
        if (n == 0) {
            return null;
        }
        long now = System.nanoTime();
        int start = loadBalance.first(t, next);
        MemberPool saturated = null;
        MemberPool avoided = null;
        for (int i = 0; i < n; i++) {
            MemberPool p = readers[(start + i) % n];
            if (p.isSuspect(now)) {
                continue;
            }
            if (p == avoid) {
                avoided = p;
                continue;
            }
            if (!p.hasCapacity()) {
                saturated = saturated == null ? p : saturated;
                continue;
            }
            Connection c = tryBorrow(p, connectionTimeoutMillis, borrower);
            if (c != null) {
                return c;
            }
        }
        if (saturated != null) {
            Connection c = tryBorrow(saturated, connectionTimeoutMillis, borrower);
            if (c != null) {
                return c;
            }
        }
        return avoided == null ? null : tryBorrow(avoided, connectionTimeoutMillis, borrower);
    }

    /**
     * Borrows from {@code p}, waiting up to {@code timeoutMillis}, in slices of {@value #SLICE_MILLIS} ms: HikariCP
     * does not wake a waiting borrower when its member refuses connections or its pool is retired, so between
     * slices the borrower looks again; on success {@code borrower} is told the pool. {@code null} when the member
     * refused a connection (it is then suspect), its pool was retired, or the routing table changed; a timeout of a
     * saturated pool is thrown as HikariCP reports it.
     * An interrupted caller stops at once (SQLState {@value SqlStates#INTERRUPTED}, the interrupt flag kept): HikariCP
     * reports an interrupted wait as a plain SQLException, which must not be taken for a slice that timed out.
     */
    private Connection tryBorrow(MemberPool p, long timeoutMillis, Borrower borrower) throws SQLException {
        RoutingTable seen = table;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                Connection c = p.borrow(Math.max(1, Math.min(remaining, SLICE_MILLIS)));
                borrower.borrowedFrom(p);
                return c;
            } catch (MemberPool.RetiredPoolException e) {
                return null;
            } catch (SQLException e) {
                if (e.getCause() instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                    throw interrupted("a connection to " + p.member().name(), e);
                }
                if (e.getCause() instanceof SQLException && Failures.isRefusal((SQLException) e.getCause())) {
                    throw refused(p, (SQLException) e.getCause(), e);
                }
                if (p.isSuspect(System.nanoTime()) || table != seen) {
                    return null;
                }
                if (!p.isWrite() && e.getCause() instanceof SQLException
                        && Failures.isConnectionFailure((SQLException) e.getCause())) {
                    // the replica's pool could not open a connection: failing, not saturated, even if its suspicion
                    // ran out while the attempt lasted; another member may serve the read
                    return null;
                }
                if (remaining <= SLICE_MILLIS) {
                    metrics.borrowTimedOut(p);
                    throw e;
                }
            }
        }
    }

    /**
     * Borrows from the leader. {@code failoverTimeout} bounds the wait for a leader that is absent or refusing
     * connections; a leader the table names is always tried once, for up to {@code connectionTimeout}, however short
     * the rest of {@code failoverTimeout} is: {@code failoverTimeout=0} means "do not wait for a leader", not "never
     * borrow" (and a read falling back to the leader after trying the replicas gets its attempt too).
     * A {@code write} waits, as for an absent leader, while the leader drains for an announced switchover.
     */
    private Connection acquireLeader(long start, long deadline, Borrower borrower, boolean write)
            throws SQLException {
        boolean waited = false;
        boolean held = false;
        MemberPool tried = null;
        SQLException last = null;
        while (true) {
            RoutingTable t = table;
            checkOpen(t);
            MemberPool leader = t.leader();
            long now = System.nanoTime();
            long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - now);
            boolean draining = write && leader != null && leader.isDraining(now);
            if (draining && !held) {
                held = true;
                drain.held();
                metrics.drainHeld();
            } else if (write && leader != null && !draining) {
                drain.ranOutCheck(leader, now);
            }
            if (leader != null && !leader.isSuspect(now) && !draining && (remaining > 0 || leader != tried)) {
                long budget = leader == tried ? Math.min(connectionTimeoutMillis, remaining) : connectionTimeoutMillis;
                tried = leader;
                try {
                    Connection c = tryBorrow(leader, budget, borrower);
                    if (c != null) {
                        if (waited) {
                            metrics.leaderWait(System.nanoTime() - start, true);
                        }
                        return c;
                    }
                } catch (SQLException e) {
                    if (SqlStates.INTERRUPTED.equals(e.getSQLState())) {
                        throw e;
                    }
                    if (leader.totalConnections() >= config.writePoolSize() && leader.idleConnections() == 0) {
                        throw e; // saturated, not failing over: HikariCP's message says so
                    }
                    if (e.getCause() instanceof SQLException
                            && !Failures.isConnectionFailure((SQLException) e.getCause())) {
                        throw e; // the server answered, and said no (a wrong password, a missing database)
                    }
                    last = e; // a connection is still being opened (e.g. the leader completing its promotion)
                    continue;
                }
            }
            long limit = limit(t, start, deadline);
            if (System.nanoTime() - limit >= 0) {
                metrics.leaderWait(System.nanoTime() - start, false);
                metrics.unavailable();
                throw noLeader(t, start, last);
            }
            waited = true;
            awaitChange(t, draining && leader.drainUntil() - limit < 0 ? leader.drainUntil() : limit);
        }
    }

    /**
     * How long to wait for table {@code t} to change. {@code failoverTimeout} bounds the wait for a leader that is
     * absent or refusing; a table about to change is waited for up to {@code connectionTimeout} even when
     * {@code failoverTimeout} is shorter: a topology not known yet (the source has not answered since the data
     * source started), or a leader whose pool the topology thread has just retired while it publishes the next table.
     */
    private long limit(RoutingTable t, long start, long deadline) {
        if (!t.topology().isKnown() && t.topology().sourceRefused()) {
            return start; // the DCS refused our credentials or TLS: no leader will appear by waiting
        }
        MemberPool leader = t.leader();
        if (t.topology().isKnown() && (leader == null || !leader.isRetired())) {
            return deadline;
        }
        long grace = start + connectionTimeoutNanos;
        return grace - deadline > 0 ? grace : deadline;
    }

    /** Waits until the table changes, the leader's suspicion ends, or the deadline passes. */
    private void awaitChange(RoutingTable t, long deadline) throws SQLException {
        long until = deadline;
        MemberPool leader = t.leader();
        if (leader != null && leader.isSuspect(System.nanoTime()) && leader.suspectUntil() - until < 0) {
            until = leader.suspectUntil();
        }
        synchronized (tableChanged) {
            long wait = until - System.nanoTime();
            if (table == t && wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(tableChanged, wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw interrupted(t.topology().isKnown() ? "a leader" : "the topology", e);
                }
            }
        }
    }

    /**
     * The caller's thread was interrupted while waiting: the wait ends at once, nothing was sent, the interrupt flag
     * stays set. Not a connection failure (no member is blamed) and not retried by {@code inTransaction}.
     */
    private SQLException interrupted(String what, Exception cause) {
        Thread.currentThread().interrupt();
        return new SQLException("pgcluster: interrupted while waiting for " + what + " of cluster '" + view.cluster()
                + "'; nothing was sent", SqlStates.INTERRUPTED, cause);
    }

    /**
     * The member's server refused the pool's last login (a wrong password, a certificate that does not verify, a
     * missing database): said at once, with the server's SQLState, rather than after waiting {@code failoverTimeout}
     * for a leader that would refuse just the same.
     */
    private SQLException refused(MemberPool p, SQLException refusal, SQLException timeout) {
        SQLException s = new SQLException("pgcluster: member " + p.member().name() + " (" + p.member().address()
                + ") of cluster '" + view.cluster() + "' refused the connection: " + refusal.getMessage(),
                refusal.getSQLState(), refusal);
        s.addSuppressed(timeout);
        return s;
    }

    private static void checkOpen(RoutingTable t) throws SQLException {
        if (t.closed()) {
            throw new SQLNonTransientConnectionException("pgcluster: the data source is closed",
                    SqlStates.CONNECTION_CLOSED);
        }
    }

    private SQLException noLeader(RoutingTable t, long start, SQLException last) {
        Topology topo = t.topology();
        StringBuilder s = new StringBuilder("pgcluster: no leader for cluster '").append(view.cluster()).append('\'');
        if (config.scope() != null) {
            s.append(" (scope ").append(config.scope()).append(')');
        }
        s.append(" after waiting ").append(millisSince(start)).append(" ms (failoverTimeout ")
                .append(failoverTimeoutNanos / 1_000_000L).append(" ms)");
        s.append("; last known leader: ").append(view.lastKnownLeader() == null ? "none" : view.lastKnownLeader());
        MemberPool leader = t.leader();
        if (leader != null && leader.isDraining(System.nanoTime())) {
            s.append("; ").append(leader.member().name()).append(" is draining for a switchover to ")
                    .append(leader.drainingFor() == null ? "a replica of Patroni's choice" : leader.drainingFor())
                    .append(" that has not happened yet (switchoverDrain ").append(config.switchoverDrain().toMillis())
                    .append(" ms)");
        } else if (leader != null && leader.suspectReason() != null) {
            s.append("; ").append(leader.member().name()).append(" refused connections: ")
                    .append(leader.suspectReason());
        } else if (leader != null) {
            s.append("; the topology names ").append(leader.member().name()).append(" (")
                    .append(leader.member().address()).append(") leader, but it gave no write connection in time "
                            + "(one is handed out only once its server answers pg_is_in_recovery() = false)");
        }
        if (topo.standbyLeader() != null) {
            s.append("; this is a Patroni standby cluster: its standby leader ").append(topo.standbyLeader().name())
                    .append(" replicates from another cluster and can never take writes");
        }
        if (!topo.isKnown()) {
            s.append("; topology unknown: ").append(topo.sourceProblem());
        } else {
            s.append("; members: ").append(topo.members());
            if (!topo.sourceReachable()) {
                s.append("; topology source unreachable: ").append(topo.sourceProblem());
            }
        }
        return new ClusterUnavailableException(s.toString(), last);
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000L;
    }

    private static String describeReaders(RoutingTable t) {
        List<String> parts = new ArrayList<>();
        for (Exclusion e : t.excluded()) {
            parts.add(e.toString());
        }
        long now = System.nanoTime();
        for (MemberPool p : t.readers()) {
            if (p.isSuspect(now)) {
                parts.add(p.member().name() + " (refused connections: " + p.suspectReason() + ")");
            }
        }
        return parts.isEmpty() ? "no replicas" : String.join(", ", parts);
    }
}
