package io.pgcluster.jdbc.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.ServerConnector;
import io.pgcluster.jdbc.topology.Member;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The physical connections to one member in one role: a HikariCP pool plus what routing needs to know about the
 * member right now.
 *
 * <p><b>Suspect.</b> After a connection failure the member is <em>suspect</em> for {@code suspectTimeout}: routing
 * gives it no new work, so that no request waits on a server that just failed. A fresh report of the member from
 * the topology source clears it.
 *
 * <p><b>Confirmed (write pools).</b> A write pool starts unconfirmed and becomes confirmed once its member answers
 * {@code pg_is_in_recovery() = false} on a probe connection (polled every 10 ms while a promotion completes). No
 * write borrows from an unconfirmed pool, and the HikariCP pool is created only after the first confirmation, so
 * that HikariCP never backs off after a refused attempt during a promotion. A connection failure un-confirms it.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class MemberPool {
    private static final Logger log = LoggerFactory.getLogger(MemberPool.class);
    private static final long PROMOTION_POLL_MILLIS = 10;

    private final String cluster;
    private final Member member;
    private final boolean write;
    private final HikariConfig hikariConfig;
    private final ServerConnector probeConnector;
    private final long suspectNanos;
    private final Runnable onSuspect;
    private final ReentrantLock confirmLock = new ReentrantLock();
    private volatile HikariPool hikari;
    private volatile boolean confirmed;
    private volatile long suspectUntil;
    private volatile String suspectReason;
    private volatile boolean retired;

    MemberPool(String cluster, Member member, boolean write, PgClusterConfig config, ServerConnector connector,
            ScheduledExecutorService housekeeper, ThreadFactory threadFactory, Runnable onSuspect) {
        this.cluster = cluster;
        this.member = member;
        this.write = write;
        this.suspectNanos = config.suspectTimeout().toNanos();
        this.onSuspect = onSuspect;
        this.probeConnector = connector.withTimeouts(config.connectionTimeout());
        HikariConfig h = new HikariConfig();
        h.setPoolName("pgcluster-" + cluster + "-" + member.name() + (write ? "-write" : "-read"));
        h.setDataSource(new MemberDataSource(connector, member, write, this::creationFailed));
        h.setMaximumPoolSize(write ? config.writePoolSize() : config.readPoolSize());
        h.setMinimumIdle(config.minIdle());
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
        h.setThreadFactory(threadFactory);
        this.hikariConfig = h;
        this.confirmed = !write;
        if (!write) {
            this.hikari = new HikariPool(h);
        }
    }

    public Member member() {
        return member;
    }

    /** Whether this pool serves writes (the leader), else reads (a replica). */
    public boolean isWrite() {
        return write;
    }

    /** Whether the member is known to be out of recovery (always true for read pools). */
    public boolean isConfirmed() {
        return confirmed;
    }

    /** Whether the member failed recently and gets no new work until {@code nowNanos} passes its suspect time. */
    public boolean isSuspect(long nowNanos) {
        long until = suspectUntil;
        return until != 0 && nowNanos - until < 0;
    }

    /** When the suspicion ends ({@link System#nanoTime()}), or 0. */
    public long suspectUntil() {
        return suspectUntil;
    }

    /** Why the member is suspect, for error messages; {@code null} when it is not. */
    public String suspectReason() {
        return isSuspect(System.nanoTime()) ? suspectReason : null;
    }

    /** Marks the member suspect after a connection failure, un-confirms a write pool and evicts idle connections. */
    public void markSuspect(SQLException cause) {
        String reason = cause.getMessage();
        boolean wasSuspect = isSuspect(System.nanoTime());
        suspectReason = reason;
        suspectUntil = System.nanoTime() + suspectNanos;
        if (write) {
            confirmed = false;
        }
        HikariPool p = hikari;
        if (p != null) {
            p.softEvictConnections();
        }
        if (!wasSuspect) {
            log.info("pgcluster {}: member {} ({}) is suspect for {} ms: {}", cluster, member.name(), member.address(),
                    suspectNanos / 1_000_000L, reason);
        }
        onSuspect.run();
    }

    /** Ends a suspicion, because the topology source reported the member afresh. */
    public void clearSuspect() {
        suspectUntil = 0;
        suspectReason = null;
    }

    private void creationFailed(SQLException e) {
        if (!retired) {
            markSuspect(e);
        }
    }

    /**
     * Confirms a write pool's member is out of recovery, polling a probe connection until it is, the deadline
     * passes, or the pool is retired. Concurrent callers wait for one probe.
     *
     * @return whether the member is confirmed
     * @throws SQLException when the member cannot be reached (it is then suspect)
     */
    public boolean confirm(long deadlineNanos) throws SQLException, InterruptedException {
        if (confirmed) {
            return true;
        }
        long wait = deadlineNanos - System.nanoTime();
        if (wait <= 0 || !confirmLock.tryLock(wait, TimeUnit.NANOSECONDS)) {
            return confirmed;
        }
        try {
            if (confirmed) {
                return true;
            }
            long start = System.nanoTime();
            try (Connection c = probeConnector.connect(member.host(), member.port());
                    Statement s = c.createStatement()) {
                while (!retired) {
                    try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            break;
                        }
                    }
                    if (System.nanoTime() - deadlineNanos >= 0) {
                        return false;
                    }
                    Thread.sleep(PROMOTION_POLL_MILLIS);
                }
            } catch (SQLException e) {
                markSuspect(e);
                throw e;
            }
            if (retired) {
                return false;
            }
            if (hikari == null) {
                hikari = new HikariPool(hikariConfig);
            }
            confirmed = true;
            log.info("pgcluster {}: leader {} ({}) accepts writes (confirmed in {} ms)", cluster, member.name(),
                    member.address(), (System.nanoTime() - start) / 1_000_000L);
            return true;
        } finally {
            confirmLock.unlock();
        }
    }

    /**
     * Borrows a physical connection, waiting at most {@code timeoutMillis}.
     *
     * @throws SQLException HikariCP's timeout (with the last creation failure as cause) or a closed pool
     */
    public Connection borrow(long timeoutMillis) throws SQLException {
        HikariPool p = hikari;
        if (p == null || retired) {
            throw new RetiredPoolException(this);
        }
        Connection c = p.getConnection(Math.max(1, timeoutMillis));
        if (retired) {
            // retired while we waited: the member changed role; never hand out a connection to it
            p.evictConnection(c);
            throw new RetiredPoolException(this);
        }
        return c;
    }

    /**
     * A borrow from a pool that the topology has just retired (its member changed role) or that is not yet
     * confirmed: not a failure of the member; routing looks at the current table again.
     */
    public static final class RetiredPoolException extends SQLException {
        private static final long serialVersionUID = 1L;

        RetiredPoolException(MemberPool pool) {
            super("pgcluster: " + pool + " is no longer in service", "08001");
        }
    }

    /** Closes a physical connection for good instead of returning it (it failed). */
    public void evict(Connection physical) {
        HikariPool p = hikari;
        if (p != null) {
            p.evictConnection(physical);
        } else {
            try {
                physical.close();
            } catch (SQLException ignored) {
                // broken already
            }
        }
    }

    /** Connections in use, for least-connections balancing and metrics. */
    public int activeConnections() {
        HikariPool p = hikari;
        return p == null ? 0 : p.getActiveConnections();
    }

    public int idleConnections() {
        HikariPool p = hikari;
        return p == null ? 0 : p.getIdleConnections();
    }

    public int totalConnections() {
        HikariPool p = hikari;
        return p == null ? 0 : p.getTotalConnections();
    }

    public int threadsAwaiting() {
        HikariPool p = hikari;
        return p == null ? 0 : p.getThreadsAwaitingConnection();
    }

    /**
     * Takes the pool out of service: idle connections close now, connections in use close when returned. The
     * pool is shut down by {@link #closeIfDrained()} once none is in use, or by {@link #close()}.
     */
    void retire() {
        retired = true;
        confirmed = false;
        HikariPool p = hikari;
        if (p != null) {
            p.softEvictConnections();
        }
    }

    boolean isRetired() {
        return retired;
    }

    /** Shuts a retired pool down once no connection is in use; returns whether it is shut down. */
    boolean closeIfDrained() {
        if (activeConnections() == 0) {
            close();
            return true;
        }
        return false;
    }

    /** Shuts the pool down now, aborting connections still in use. */
    void close() {
        retired = true;
        HikariPool p = hikari;
        hikari = null;
        if (p != null) {
            try {
                p.shutdown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return (write ? "write" : "read") + " pool " + member.name() + " (" + member.address() + ")";
    }
}
