package io.pgcluster.jdbc.internal.routing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import io.pgcluster.jdbc.internal.metrics.Access;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.internal.metrics.ConnectionTimings;
import io.pgcluster.jdbc.internal.metrics.ObservedPool;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.topology.Member;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The physical connections to one member in one role (a HikariCP pool), and whether routing should send it work
 * right now.
 *
 * <p>When the member refuses a new connection (connection refused, shutting down, still in recovery for a write
 * pool) it becomes <em>suspect</em> for {@code suspectTimeout}: routing gives it no new work, so that no request
 * waits on a server that just failed, and its idle connections are closed. A fresh report of the member from the
 * topology source ends the suspicion early. The failure of one connection in use does not make the member suspect
 * (an administrator may have ended that one session); the next attempt to open a connection decides.
 *
 * <p>When the server refuses the login (SQLState 28P01 or 28000: wrong password, no pg_hba entry, role gone), the
 * pool stops opening connections of its own accord: HikariCP keeps {@code minIdle} connections ready and would
 * otherwise retry the login for ever with a backoff of up to 5 s, with nobody waiting for it. Only a borrower's
 * request tries again; the first borrow that gets a connection brings {@code minIdle} back. The member does not
 * become suspect: a refused login says nothing about its health.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class MemberPool implements ObservedPool {
    private static final Logger log = LoggerFactory.getLogger(MemberPool.class);

    /** Fails (division by zero) on a server in recovery; the write pool's liveness check behind a pooler. */
    static final String PRIMARY_CHECK = "SELECT 1 / (NOT pg_is_in_recovery())::int";

    private final String cluster;
    private final Member member;
    private final ServerConnector.Target target;
    private final boolean write;
    private final int maxSize;
    private final long suspectNanos;
    private final Runnable onSuspect;
    private final ClusterMetricsHub metrics;
    private final HikariConfig hikariConfig;
    private final HikariPool hikari;
    private final int minIdle;
    /** The last attempt to open a connection was refused its login; guarded by this for writes. */
    private volatile boolean loginRefused;
    private volatile long suspectUntil;
    private volatile String suspectReason;
    private volatile boolean retired;
    /** The highest WAL position this member was seen to have replayed (read-your-writes); only grows. */
    private final AtomicLong replayed = new AtomicLong();
    /** The leader's drain for an announced switchover ({@link SwitchoverDrain}), or {@code null}. */
    private volatile Drain drain;

    MemberPool(String cluster, Member member, boolean write, PgClusterConfig config, ServerConnector connector,
            ScheduledExecutorService housekeeper, Runnable onSuspect, ClusterMetricsHub metrics) {
        this.cluster = cluster;
        this.member = member;
        this.write = write;
        this.maxSize = write ? config.writePoolSize() : config.readPoolSize();
        this.suspectNanos = config.suspectTimeout().toNanos();
        this.onSuspect = onSuspect;
        this.metrics = metrics;
        HikariConfig h = new HikariConfig();
        h.setPoolName(cluster + "/" + member.name() + (write ? "/write" : "/read"));
        MemberDataSource source = new MemberDataSource(connector, member, write, config.connectionTimeout().toMillis(),
                this::unreachable, this::isRetired);
        this.target = source.target();
        h.setDataSource(source);
        if (write && target.pooler()) {
            // a session with the pooler outlives its server's restart: after a demotion it would run the next
            // transaction on a replica. Checking an idle connection (borrowed after 500 ms idle, and every
            // keepaliveTime) with a query that fails in recovery makes HikariCP evict it instead; a new one waits
            // for a primary (MemberDataSource). pg_is_in_recovery() is volatile, so this is not folded at planning.
            h.setConnectionTestQuery(PRIMARY_CHECK);
        }
        h.setMaximumPoolSize(maxSize);
        this.minIdle = config.minIdle();
        h.setMinimumIdle(minIdle);
        h.setConnectionTimeout(config.connectionTimeout().toMillis());
        h.setValidationTimeout(config.validationTimeout().toMillis());
        h.setIdleTimeout(config.idleTimeout().toMillis());
        h.setMaxLifetime(config.maxLifetime().toMillis());
        h.setKeepaliveTime(config.keepaliveTime().toMillis());
        h.setInitializationFailTimeout(-1);
        h.setReadOnly(!write);
        h.setAutoCommit(true);
        h.setRegisterMbeans(false);
        h.setScheduledExecutor(housekeeper);
        this.hikariConfig = h;
        this.hikari = new HikariPool(h);
    }

    @Override
    public Member member() {
        return member;
    }

    /** Whether this pool serves writes (the leader), else reads (a replica). */
    public boolean isWrite() {
        return write;
    }

    @Override
    public Access access() {
        return Access.of(write);
    }

    /** Whether the member refused a connection recently and gets no new work until its suspicion ends. */
    public boolean isSuspect(long nowNanos) {
        long until = suspectUntil;
        return until != 0 && nowNanos - until < 0;
    }

    /** Whether the member is suspect now and this pool still in service (for metrics). */
    @Override
    public boolean isSuspect() {
        return !retired && isSuspect(System.nanoTime());
    }

    /** When the suspicion ends ({@link System#nanoTime()}), or 0. */
    public long suspectUntil() {
        return suspectUntil;
    }

    /** Why the member is suspect, for error messages; {@code null} when it is not. */
    public String suspectReason() {
        return isSuspect(System.nanoTime()) ? suspectReason : null;
    }

    /**
     * The member refused a new connection: suspect it, close its idle connections, ask for a fresh topology. A
     * refused login instead stops the pool's own attempts (see the class documentation).
     */
    void unreachable(SQLException cause) {
        if (retired) {
            return;
        }
        if (isLoginRefused(cause)) {
            loginRefused(cause);
            return;
        }
        metrics.connectFailed(this, cause.getSQLState());
        boolean wasSuspect = isSuspect(System.nanoTime());
        suspectReason = cause.getMessage();
        suspectUntil = System.nanoTime() + suspectNanos;
        hikari.softEvictConnections();
        if (!wasSuspect) {
            log.info("pgcluster {}: member {} ({}) refused a connection; no new {} work for up to {} ms: {}", cluster,
                    member.name(), target, write ? "write" : "read", suspectNanos / 1_000_000L,
                    cause.getMessage());
        }
        onSuspect.run();
    }

    /** Whether {@code e} is the server refusing the login: 28P01 (invalid password) or 28000 (authorization). */
    static boolean isLoginRefused(SQLException e) {
        String state = e.getSQLState();
        return SqlStates.INVALID_PASSWORD.equals(state) || SqlStates.INVALID_AUTHORIZATION.equals(state);
    }

    /** Keeps no idle connection ready until a borrow succeeds, so that no login is tried without a borrower. */
    private synchronized void loginRefused(SQLException cause) {
        if (retired || loginRefused) {
            return;
        }
        loginRefused = true;
        hikariConfig.setMinimumIdle(0); // HikariCP's fill and its retry loop stop; a waiting borrower still gets tries
        log.warn("pgcluster {}: {} refused the login; no new connection is opened until a borrower asks for one: {}",
                cluster, this, cause.getMessage());
    }

    /** A borrow got a connection: the login works again, so keep {@code minIdle} connections ready again. */
    private synchronized void loginWorks() {
        if (loginRefused) {
            loginRefused = false;
            if (!retired) {
                hikariConfig.setMinimumIdle(minIdle);
            }
            log.info("pgcluster {}: {} accepts the login again", cluster, this);
        }
    }

    /** Ends a suspicion, because the topology source reported the member afresh. */
    void clearSuspect() {
        suspectUntil = 0;
        suspectReason = null;
    }

    /** Whether a borrow would not wait for another borrower: an idle connection, or room to open one. */
    public boolean hasCapacity() {
        return hikari.getTotalConnections() < maxSize || hikari.getIdleConnections() > 0; // size() first: no iterator
    }

    /**
     * Borrows a physical connection, waiting at most {@code timeoutMillis}.
     *
     * @throws RetiredPoolException when the topology retired this pool (not a failure of the member)
     * @throws SQLException HikariCP's timeout, with the last failure to connect as its cause if there was one
     */
    public Connection borrow(long timeoutMillis) throws SQLException {
        if (retired) {
            throw new RetiredPoolException(this);
        }
        Connection c = hikari.getConnection(Math.max(1, timeoutMillis));
        if (retired) {
            // retired while we waited: the member changed role; never hand out a connection to it
            hikari.evictConnection(c);
            throw new RetiredPoolException(this);
        }
        if (loginRefused) {
            loginWorks();
        }
        return c;
    }

    /** Closes a physical connection for good instead of returning it (it failed, or its session is unclean). */
    public void evict(Connection physical) {
        try {
            hikari.evictConnection(physical);
        } catch (RuntimeException e) {
            // the pool was shut down under the connection (it is retired): nothing is left to evict
            log.debug("pgcluster {}: evicting a connection of {} failed: {}", cluster, this, e.toString());
        }
    }

    /** Whether the topology took this pool out of service. */
    public boolean isRetired() {
        return retired;
    }

    /** Connections in use, for least-connections balancing and metrics. */
    @Override
    public int activeConnections() {
        return hikari.getActiveConnections();
    }

    @Override
    public int idleConnections() {
        return hikari.getIdleConnections();
    }

    @Override
    public int totalConnections() {
        return hikari.getTotalConnections();
    }

    @Override
    public int threadsAwaiting() {
        return hikari.getThreadsAwaitingConnection();
    }

    /** The most connections this pool opens ({@code writePoolSize} or {@code readPoolSize}). */
    @Override
    public int maxConnections() {
        return maxSize;
    }

    /**
     * Sends HikariCP's own measurements of this running pool (acquire, usage and creation times, timeouts) to
     * {@code timings}, replacing HikariCP's no-op; see {@code ClusterMetricsHub}.
     */
    @Override
    public void timeWith(ConnectionTimings timings) {
        IMetricsTracker tracker = new IMetricsTracker() {
            @Override
            public void recordConnectionCreatedMillis(long millis) {
                timings.connectionCreated(millis);
            }

            @Override
            public void recordConnectionAcquiredNanos(long nanos) {
                timings.connectionAcquired(nanos);
            }

            @Override
            public void recordConnectionUsageMillis(long millis) {
                timings.connectionUsed(millis);
            }

            @Override
            public void recordConnectionTimeout() {
                timings.connectionTimedOut();
            }
        };
        hikari.setMetricsTrackerFactory((poolName, stats) -> tracker);
    }

    /**
     * Whether a logical connection bound here should give its connection back between transactions and bind
     * another: the pool is retired, or it is the leader's and a switchover away from it is announced (new writes
     * wait for the new leader; an open transaction keeps its connection and may commit).
     */
    public boolean isLeaving() {
        return retired || (drain != null && isDraining(System.nanoTime()));
    }

    /** Whether new writes are held off this (leader's) pool at {@code nowNanos} for an announced switchover. */
    public boolean isDraining(long nowNanos) {
        Drain d = drain;
        return d != null && nowNanos - d.from >= 0 && nowNanos - d.until < 0;
    }

    /** When the drain in force (or scheduled) ends ({@link System#nanoTime()}); meaningful while {@link #drain}. */
    long drainUntil() {
        Drain d = drain;
        return d == null ? 0 : d.until;
    }

    /** The drain in force, scheduled or run out, or {@code null}. */
    Drain drain() {
        return drain;
    }

    /** The switchover's candidate this pool drains for, or {@code null} (for error messages). */
    String drainingFor() {
        Drain d = drain;
        return d == null ? null : d.to;
    }

    /** Holds new writes off this pool for the window {@code d}; {@code null} ends it. */
    void drain(Drain d) {
        drain = d;
    }

    /**
     * A window in which a leader takes no new writes: {@link System#nanoTime()} bounds and the candidate;
     * {@code ranOut} is set by the first write that finds the window over while the switchover is still pending.
     */
    record Drain(long from, long until, String to, AtomicBoolean ranOut) {
        Drain(long from, long until, String to) {
            this(from, until, to, new AtomicBoolean());
        }
    }

    /**
     * Takes the pool out of service: no new borrow, no refill, idle connections close now, connections in use
     * close when returned. {@link #close()} shuts it down.
     */
    synchronized void retire() {
        retired = true;
        hikariConfig.setMinimumIdle(0);
        hikari.softEvictConnections();
    }

    /** Shuts the pool down, aborting connections still in use. */
    void close() {
        retired = true;
        try {
            hikari.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The highest WAL position this member was seen to have replayed, 0 if never asked (see {@link Router}). */
    public long replayed() {
        return replayed.get();
    }

    /** The member has replayed at least {@code lsn} (it never goes back within this pool's life). */
    public void replayedAtLeast(long lsn) {
        replayed.accumulateAndGet(lsn, Math::max);
    }

    /**
     * A borrow from a pool that the topology has just retired (its member changed role): not a failure of the
     * member; routing looks at the current table again.
     */
    public static final class RetiredPoolException extends SQLException {
        private static final long serialVersionUID = 1L;

        RetiredPoolException(MemberPool pool) {
            super("pgcluster: " + pool + " is no longer in service", SqlStates.UNABLE_TO_CONNECT);
        }
    }

    @Override
    public String toString() {
        return (write ? "write" : "read") + " pool " + member.name() + " (" + target + ")";
    }
}
