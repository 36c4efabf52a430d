package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.failover.Deadline;
import io.pgcluster.jdbc.internal.failover.FailurePolicy;
import io.pgcluster.jdbc.internal.failover.FailurePolicy.Decision;
import io.pgcluster.jdbc.internal.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.internal.failover.TransactionState;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.internal.routing.MemberPool;
import io.pgcluster.jdbc.internal.routing.Router;
import io.pgcluster.jdbc.internal.routing.StatementClassifier;
import io.pgcluster.jdbc.internal.routing.WritePositions;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.ClientInfoStatus;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection {@link PgClusterDataSource#getConnection()} returns: it binds a physical connection lazily, at
 * first use, from the pool the read-only flag chooses (a replica for read-only work, else the leader), and keeps
 * it until {@link #close()} or a change of the flag between transactions. With {@code autoCommitReads=replica}, an
 * auto-commit statement with the flag unset chooses by its SQL text instead ({@link #physicalFor}), moving the
 * connection between a replica and the leader as its statements need.
 *
 * <p>Three concepts meet here, each kept in one place: binding to a pool (this class: {@link #physical},
 * {@link #bind}, {@link #release}, {@link #drop}); the session properties applied at every binding
 * ({@link SessionSettings}); and the transaction state with the failure policy ({@link TransactionState},
 * {@link FailurePolicy}, which decides every SQLState below).
 *
 * <p>When the physical connection fails (SQLState class 08, 57P01-57P03, an I/O error) its member becomes
 * suspect, the topology is looked at again, and the failure surfaces precisely:
 * <ul>
 *   <li>a statement that nothing could have been lost before (a read-only statement in auto-commit mode, or the
 *       first statement of a transaction) runs again on another member, invisibly;</li>
 *   <li>otherwise inside a transaction the transaction is lost: SQLState 08006, and every call until
 *       {@code rollback()} says so, so that no partial transaction can continue elsewhere;</li>
 *   <li>at COMMIT of a read-write transaction, or for a read-write statement in auto-commit mode, whether it
 *       committed is unknown: SQLState 08007.</li>
 * </ul>
 * The logical connection stays usable: its next transaction binds to the current leader or a replica.
 *
 * <p>Not thread-safe, like any JDBC connection. Not final only so that a unit test can stand in for the cluster
 * (the methods under "the cluster" below).
 */
class LogicalConnection extends ConnectionWrapper implements Router.Borrower {
    private static final Logger log = LoggerFactory.getLogger(LogicalConnection.class);

    private final Cluster cluster;
    /**
     * The bound physical connection, or {@code null}; volatile because {@link #abort} may come from another thread.
     * Kept with its pool in two fields rather than one pair object, which would be allocated at every binding.
     */
    private volatile Connection bound;
    /** The pool of {@link #bound} (set by the router before it hands the connection over); stale when unbound. */
    private MemberPool boundPool;
    /** Made when first needed (a session property set, a transaction lost): most connections never need it. */
    private Rare rare;
    /**
     * The owning thread's flags and transaction state, in one short: with {@link #closed} beside it the object is 32
     * bytes (12-byte header, 4 references, 3 bytes), one allocation per {@code getConnection()}, where seven
     * booleans, the state and the lost member's name made it 48. {@link #closed} stays a volatile of its own:
     * {@link #abort} writes it from another thread, and a read-modify-write of shared bits could lose it.
     */
    private short bits = AUTO_COMMIT;
    private volatile boolean closed;

    /** The read-only flag ({@link #setReadOnly}). */
    private static final int READ_ONLY = 1;
    private static final int AUTO_COMMIT = 1 << 1;
    /** Whether {@link #bound} was borrowed for reading (read-only flag, or an auto-commit read); stale when unbound. */
    private static final int BOUND_READ = 1 << 2;
    /**
     * With {@code autoCommitReads=replica}, in auto-commit mode with the read-only flag unset: whether the statement
     * being run (or created) was judged to only read, so that {@link #bind} borrows for reading and
     * {@link #recover} may run it again. Set by {@link #route} only, so it stays unset with the default.
     */
    private static final int ROUTED_READ = 1 << 3;
    /** A statement of the open transaction may have written on the leader (read-your-writes; see afterStatement). */
    private static final int TX_MAY_HAVE_WRITTEN = 1 << 4;
    /**
     * {@link #unwrap} handed out the bound physical connection (or something of it, such as pgjdbc's CopyManager):
     * work done through it is invisible here, so the connection stays bound until the lease ends (close, a change of
     * the read-only flag, a failure), is never rebound behind the caller's back, and no statement counts as the first
     * of its transaction.
     */
    private static final int UNWRAPPED = 1 << 5;
    /** The {@link TransactionState}'s ordinal, in two bits. */
    private static final int TX_SHIFT = 6;
    private static final TransactionState[] TX_STATES = TransactionState.values();

    /**
     * What most connections never need, kept out of the connection so that it stays small: the session properties
     * set, and the member whose failure lost the transaction ({@link TransactionState#LOST}), for the message.
     */
    private static final class Rare {
        SessionSettings session;
        String lostOn;
    }

    LogicalConnection(Cluster cluster) {
        this.cluster = cluster;
    }

    // ---- the connection's own state ----------------------------------------------------------------------------

    private boolean is(int flag) {
        return (bits & flag) != 0;
    }

    private void set(int flag, boolean on) {
        bits = (short) (on ? bits | flag : bits & ~flag);
    }

    private TransactionState tx() {
        return TX_STATES[bits >>> TX_SHIFT & 3];
    }

    private void tx(TransactionState state) {
        bits = (short) (bits & ~(3 << TX_SHIFT) | state.ordinal() << TX_SHIFT);
    }

    private Rare rare() {
        if (rare == null) {
            rare = new Rare();
        }
        return rare;
    }

    // ---- the cluster: everything this class asks of it, in one place (a unit test stands in for it here) ------

    String clusterName() {
        return cluster.name();
    }

    /** Whether physical connections go through a transaction pooler next to each member ({@code pooler=node}). */
    boolean throughPooler() {
        return cluster.config().pooler() == PgClusterConfig.Pooler.NODE;
    }

    /**
     * Borrows a physical connection, its pool told to {@link #borrowedFrom}; see
     * {@link io.pgcluster.jdbc.internal.routing.Router#acquire}.
     */
    Connection acquire(boolean readOnly, MemberPool avoid, long deadlineNanos) throws SQLException {
        return cluster.router().acquire(readOnly, avoid, deadlineNanos, this);
    }

    /** The router's answer to {@link #acquire}: the pool of the connection it returns. Not for anyone else. */
    @Override
    public void borrowedFrom(MemberPool pool) {
        boundPool = pool;
    }

    ClusterMetricsHub metrics() {
        return cluster.metrics();
    }

    /** What this JVM wrote and what reads must see (read-your-writes). */
    WritePositions positions() {
        return cluster.positions();
    }

    /** A connection failed: asks the topology source to look again. */
    void requestRefresh() {
        cluster.view().requestRefresh();
    }

    long failoverTimeoutNanos() {
        return cluster.config().failoverTimeout().toNanos();
    }

    int maxStatementAttempts() {
        return cluster.maxStatementAttempts();
    }

    /** Which auto-commit statements may run on a replica ({@code autoCommitReads}). */
    StatementClassifier classifier() {
        return cluster.classifier();
    }

    /**
     * The cluster's classifier of SQL texts whatever {@code autoCommitReads} says ({@link Cluster#texts()}): it
     * vouches on the failure path that a read-only read the leader ran wrote nothing.
     */
    StatementClassifier texts() {
        return cluster.texts();
    }

    // ---- binding ---------------------------------------------------------------------------------------------

    /** A deadline for the waits of one statement or call: {@code failoverTimeout} from now. */
    long deadline() {
        return Deadline.after(failoverTimeoutNanos());
    }

    /** {@link #physical(long)} with a deadline starting now. */
    @Override
    Connection physical() throws SQLException {
        Connection c = bound;
        if (c != null && !boundPool.isLeaving() && !c.isClosed()) {
            return c; // the usual case, without reading the clock
        }
        return physical(deadline());
    }

    /**
     * The bound physical connection, binding one first if needed (waiting no later than {@code deadlineNanos}).
     * Between transactions a connection whose pool the topology retired (its member is no longer the leader, or no
     * longer a replica) is returned and another bound: one volatile read per call. Never after {@link #unwrap}: work
     * done through the unwrapped connection could be open there, and would be rolled back silently.
     */
    Connection physical(long deadlineNanos) throws SQLException {
        Connection c = bound;
        if (c != null) {
            if (c.isClosed()) {
                // HikariCP closed its proxy after a broken-connection error that did not pass through recover()
                // (creating a statement, work through unwrap()): the session is gone, and with it any transaction
                lostSession();
            } else if (!boundPool.isLeaving() || inTransaction() || is(UNWRAPPED)) {
                return c;
            } else {
                release();
            }
        }
        return bind(null, deadlineNanos);
    }

    /**
     * {@link #physicalFor(String, boolean, long)} for a statement being created (or bound before execution), with a
     * deadline starting now when one is needed; the routing decision is not counted.
     */
    Connection physicalFor(String sql, boolean mayRead) throws SQLException {
        return routesReads() ? route(sql, mayRead, false, deadline()) : physical();
    }

    /**
     * The physical connection for a statement about to run {@code sql}. With {@code autoCommitReads=replica}, in
     * auto-commit mode with the read-only flag unset, a text the classifier finds to only read binds a connection
     * borrowed for reading (chosen as for read-only work), anything else the leader's; a bound connection of the
     * other kind is returned first (the statement then moves, as after a rebind). Otherwise as
     * {@link #physical(long)}.
     *
     * @param mayRead {@code false} for what never goes to a replica whatever its text: a batch, a call
     */
    Connection physicalFor(String sql, boolean mayRead, long deadlineNanos) throws SQLException {
        return routesReads() ? route(sql, mayRead, true, deadlineNanos) : physical(deadlineNanos);
    }

    /** Whether auto-commit statements are routed by their text now; cheap, the default answers at the second read. */
    private boolean routesReads() {
        return is(AUTO_COMMIT) && !is(READ_ONLY) && classifier().routesReads();
    }

    /** See {@link #physicalFor(String, boolean, long)}; {@code executing}: counted, and {@code sql} is final. */
    private Connection route(String sql, boolean mayRead, boolean executing, long deadlineNanos)
            throws SQLException {
        boolean read;
        if (sql == null && mayRead && !executing) {
            // a plain statement being created: its SQL comes at execution. Whatever is bound will do; else a read
            // connection, which does not wait for a leader during a failover (a write moves at its execution)
            if (bound != null) {
                return physical(deadlineNanos);
            }
            read = true;
        } else {
            read = mayRead && classifier().replicaSafe(sql);
            if (executing) {
                metrics().statementRouted(read);
            }
        }
        set(ROUTED_READ, read);
        if (bound != null && is(BOUND_READ) != read && !is(UNWRAPPED)) {
            release();
        }
        return physical(deadlineNanos);
    }

    /** Whether a transaction is open: auto-commit off and a statement ran since it began. */
    private boolean inTransaction() {
        return !is(AUTO_COMMIT) && tx() == TransactionState.OPEN;
    }

    /** The bound session is gone: drops it; inside a transaction the transaction is lost (08006). */
    private void lostSession() throws SQLException {
        boolean open = !is(AUTO_COMMIT) && (tx() == TransactionState.OPEN || is(UNWRAPPED));
        MemberPool failed = drop();
        if (open) {
            lost(failed.member().name());
            metrics().connectionFailed(failed, null, SqlStates.TRANSACTION_LOST);
            checkNotLost();
        }
    }

    /**
     * Creating a statement on the bound physical connection failed with {@code e}. Nothing was sent for the caller:
     * outside a transaction (or before its first statement) another connection is bound and returned; inside one
     * the transaction is lost (08006); any other failure is thrown as it is.
     */
    Connection afterCreateFailed(SQLException e) throws SQLException {
        if (!Failures.isConnectionFailure(e) || bound == null) {
            throw e;
        }
        if (!is(AUTO_COMMIT) && (tx() == TransactionState.OPEN || is(UNWRAPPED))) {
            throw lostIfConnectionFailure(e);
        }
        MemberPool failed = drop();
        metrics().connectionFailed(failed, e.getSQLState(), null);
        return bind(failed, deadline());
    }

    /** The bound physical connection, or {@code null}; never binds. */
    @Override
    Connection boundPhysical() {
        return bound;
    }

    private Connection bind(MemberPool avoid, long deadlineNanos) throws SQLException {
        checkOpen();
        checkNotLost();
        for (int attempt = 1;; attempt++) {
            boolean read = is(READ_ONLY) || is(AUTO_COMMIT) && is(ROUTED_READ);
            Connection c = acquire(read, avoid, deadlineNanos);
            MemberPool p = boundPool;
            try {
                if (!is(AUTO_COMMIT)) {
                    c.setAutoCommit(false);
                }
                if (read == p.isWrite()) {
                    c.setReadOnly(read); // a replica pool's connections are read-only already
                }
                if (rare != null && rare.session != null) {
                    rare.session.apply(c);
                }
                if (log.isDebugEnabled()) {
                    log.debug("pgcluster {}: bound {} connection to {}", clusterName(),
                            read ? "read-only" : "read-write", p.member().name());
                }
                set(BOUND_READ, read);
                bound = c;
                return c;
            } catch (SQLException e) {
                p.evict(c);
                // a stale pooled connection: nothing was sent for the user yet, so take another
                if (!Failures.isConnectionFailure(e) || attempt >= 3) {
                    throw e;
                }
            } catch (RuntimeException | Error e) {
                p.evict(c);
                throw e;
            }
        }
    }

    /**
     * Returns the physical connection to its pool: rolls back what is open (a no-op without a round trip when
     * nothing is), and restores session state this connection changed (search_path, application_name, type map,
     * holdability) so that the next borrower does not inherit it; evicts the connection if that fails.
     */
    private void release() {
        Connection p = bound;
        bound = null;
        if (p == null) {
            return;
        }
        try {
            if (!is(AUTO_COMMIT)) {
                p.rollback();
            }
            if (rare != null && rare.session != null) {
                rare.session.restore(p);
            }
            p.close();
        } catch (SQLException | RuntimeException e) {
            // RuntimeException: HikariCP cleaning up a connection while its pool is shut down under it (a retired
            // leader's pool aborts its connections) can fail inside; the connection is gone either way
            log.debug("pgcluster {}: could not clean a physical connection; closing it: {}", clusterName(),
                    e.toString());
            boundPool.evict(p);
        } finally {
            detachSession();
            set(UNWRAPPED, false);
        }
    }

    /** Drops a failed physical connection (evicts it) and asks the topology source to look again. */
    private MemberPool drop() {
        Connection c = bound;
        bound = null;
        detachSession();
        set(UNWRAPPED, false);
        if (c == null) {
            return null;
        }
        MemberPool p = boundPool;
        p.evict(c);
        requestRefresh();
        return p;
    }

    /** The name of the member the connection is bound to, or {@code null} (for tests and logs). */
    String boundMember() {
        return bound == null ? null : boundPool.member().name();
    }

    // ---- statement execution (called by LogicalStatement.run) ---------------------------------------------------

    /** Marks that a statement is about to run; returns whether it is the first of its transaction. */
    boolean beginStatement() throws SQLException {
        checkNotLost();
        boolean first = tx().isFirstStatement(is(UNWRAPPED));
        tx(tx().afterStatement(is(AUTO_COMMIT)));
        return first;
    }

    /**
     * The first statement of a transaction is about to run on the bound connection (again, after a replay moved it):
     * behind a transaction pooler, sets the recorded isolation level for this transaction there
     * ({@link SessionSettings#beginTransaction}). Nothing in auto-commit mode, or with no level set.
     */
    void beginTransaction() throws SQLException {
        Connection c = bound;
        if (!is(AUTO_COMMIT) && c != null && rare != null && rare.session != null) {
            rare.session.beginTransaction(c);
        }
    }

    /**
     * Handles a failed execution of {@code stmt}: {@link FailurePolicy#statementFailed} decides. Returns normally
     * only when the statement has been moved to another member and should run again; otherwise throws the error
     * to report.
     *
     * @param sql the statement's text ({@code null} if unknown), which may vouch that it only reads
     * @param mayRead {@code false} for a batch or a call, which may write whatever their text
     */
    void recover(LogicalStatement<?> stmt, SQLException e, boolean first, int attempt, long deadlineNanos,
            String sql, boolean mayRead) throws SQLException {
        boolean connectionFailure = Failures.isConnectionFailure(e);
        boolean isBound = bound != null;
        boolean onWritePool = isBound && boundPool.isWrite();
        boolean canRunAgain = stmt.isReplayable() && attempt + 1 < maxStatementAttempts() && !closed;
        boolean standby = !connectionFailure && onWritePool && refusedByStandby(e);
        Decision d;
        if (standby) {
            d = FailurePolicy.refusedByStandby(is(AUTO_COMMIT), first, canRunAgain);
        } else {
            // the text vouches for a read routed by it, and for a read-only auto-commit read the leader ran (sent
            // there for freshness or as the fallback), where the flag alone does not stop a write
            boolean classifiedRead = is(ROUTED_READ) && !is(READ_ONLY) || connectionFailure && onWritePool
                    && is(AUTO_COMMIT) && is(READ_ONLY) && mayRead && texts().replicaSafe(sql);
            d = FailurePolicy.statementFailed(connectionFailure, isBound, is(AUTO_COMMIT), is(READ_ONLY), onWritePool,
                    first, canRunAgain, classifiedRead);
        }
        if (d == Decision.RETHROW) {
            throw e;
        }
        MemberPool failed = drop();
        String member = failed == null ? "?" : failed.member().name();
        switch (d) {
            case REPLAY:
                metrics().connectionFailed(failed, e.getSQLState(), null);
                log.debug("pgcluster {}: statement failed on {} ({}); running it again elsewhere", clusterName(),
                        member, e.getMessage());
                try {
                    stmt.rebind(bind(failed, deadlineNanos));
                } catch (SQLException | RuntimeException x) {
                    x.addSuppressed(e);
                    if (!is(AUTO_COMMIT)) {
                        lost(member);
                    }
                    throw x;
                }
                tx(tx().afterStatement(is(AUTO_COMMIT))); // the statement opens the transaction on its new member
                return;
            case TRANSACTION_LOST:
                metrics().connectionFailed(failed, e.getSQLState(), SqlStates.TRANSACTION_LOST);
                if (!is(AUTO_COMMIT)) {
                    lost(member);
                }
                if (standby) {
                    throw FailurePolicy.standbyRefused(member, e);
                }
                if (!is(AUTO_COMMIT)) {
                    throw FailurePolicy.lostInTransaction(member, e);
                }
                throw FailurePolicy.readOnlyStatementLost(member, e);
            default:
                metrics().connectionFailed(failed, e.getSQLState(), SqlStates.OUTCOME_UNKNOWN);
                throw FailurePolicy.autoCommitOutcomeUnknown(member, e);
        }
    }

    /**
     * Whether {@code e}, from the leader's connection where the session is not read-only, is a write refused by a
     * standby: 25006, and the server says it is in recovery (asked on the same session, after rolling back the
     * failed transaction; a transaction pooler lends a session on the same node). A session made read-only by the
     * application gets its 25006 as it is.
     */
    private boolean refusedByStandby(SQLException e) {
        if (is(READ_ONLY) || !SqlStates.READ_ONLY_SQL_TRANSACTION.equals(e.getSQLState())) {
            return false;
        }
        try {
            if (!is(AUTO_COMMIT)) {
                bound.rollback();
            }
            try (Statement st = bound.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_is_in_recovery()")) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException x) {
            e.addSuppressed(x);
            return false;
        }
    }

    /** The transaction's connection to {@code member} failed: the transaction is lost (08006 until rollback). */
    private void lost(String member) {
        tx(TransactionState.LOST);
        rare().lostOn = member;
    }

    /** The transaction ended (commit, rollback). */
    private void endTransaction() {
        tx(TransactionState.IDLE);
        set(TX_MAY_HAVE_WRITTEN, false);
        if (rare != null) {
            rare.lostOn = null;
        }
    }

    /** @throws SQLException 08006 while the transaction is lost */
    private void checkNotLost() throws SQLException {
        if (tx() == TransactionState.LOST) {
            throw FailurePolicy.stillLost(rare.lostOn);
        }
    }

    @Override
    SessionSettings session() {
        Rare r = rare();
        if (r.session == null) {
            r.session = new SessionSettings(throughPooler(), this::inTransaction);
        }
        return r.session;
    }

    private void detachSession() {
        if (rare != null && rare.session != null) {
            rare.session.detach();
        }
    }

    @Override
    void checkOpen() throws SQLException {
        if (closed) {
            throw FailurePolicy.connectionClosed();
        }
    }

    // ---- transaction boundaries --------------------------------------------------------------------------------

    /**
     * Commits. A connection failure during COMMIT of a read-write transaction is reported as 08007 (outcome
     * unknown); of a read-only transaction, as success: it had nothing to commit. {@link FailurePolicy} decides.
     */
    @Override
    public void commit() throws SQLException {
        checkOpen();
        if (is(AUTO_COMMIT)) {
            throw new SQLException("Cannot commit when autoCommit is enabled.", SqlStates.NO_ACTIVE_TRANSACTION);
        }
        if (tx() == TransactionState.LOST) {
            String member = rare.lostOn;
            endTransaction();
            throw FailurePolicy.lostBeforeCommit(member);
        }
        Connection c = bound;
        boolean wrote = (tx() == TransactionState.OPEN || is(UNWRAPPED)) && !is(READ_ONLY);
        boolean learn = wrote && (is(TX_MAY_HAVE_WRITTEN) || is(UNWRAPPED));
        endTransaction();
        if (c == null) {
            return;
        }
        MemberPool pool = boundPool;
        boolean leaderKeyLost = pool.isWrite() && pool.isRetired();
        switch (FailurePolicy.beforeCommit(wrote, leaderKeyLost, c.isClosed())) {
            case TRANSACTION_LOST:
                if (wrote && leaderKeyLost) {
                    throw rolledBackBeforeCommit(pool, c);
                }
                // HikariCP closed its proxy after a broken-connection error: COMMIT cannot be sent, the server
                // rolled back
                drop();
                metrics().connectionFailed(pool, null, SqlStates.TRANSACTION_LOST);
                throw FailurePolicy.sessionClosedBeforeCommit(pool.member().name());
            case SUCCEED:
                drop(); // the session is gone and nothing was written
                return;
            default:
                break;
        }
        try {
            c.commit(); // no round trip when nothing is open
        } catch (SQLException e) {
            Decision d = FailurePolicy.commitFailed(Failures.isConnectionFailure(e), is(READ_ONLY));
            if (d == Decision.RETHROW) {
                throw e;
            }
            MemberPool failed = drop();
            String member = failed == null ? "?" : failed.member().name();
            if (d == Decision.SUCCEED) {
                metrics().connectionFailed(failed, e.getSQLState(), null);
                log.debug("pgcluster {}: connection to {} failed at COMMIT of a read-only transaction",
                        clusterName(), member);
                return;
            }
            metrics().connectionFailed(failed, e.getSQLState(), SqlStates.OUTCOME_UNKNOWN);
            throw FailurePolicy.commitOutcomeUnknown(member, e);
        }
        if (FailurePolicy.afterCommit(wrote, pool.isWrite() && pool.isRetired()) == Decision.OUTCOME_UNKNOWN) {
            drop();
            metrics().connectionFailed(pool, null, SqlStates.OUTCOME_UNKNOWN);
            throw FailurePolicy.leaderLostDuringCommit(pool.member().name());
        }
        if (wrote) {
            metrics().writeCommitted(pool);
        }
        if (learn) {
            learnCommittedPosition(pool, c);
        }
    }

    /**
     * Read-your-writes: the transaction just committed on {@code pool}'s leader; learn a WAL position covering it on
     * the same session. Toggling auto-commit costs no round trip with no transaction open, and keeps the query from
     * opening one that {@link #release} would then roll back (a second round trip).
     */
    private void learnCommittedPosition(MemberPool pool, Connection c) {
        if (!pool.isWrite() || !positions().enabled()) {
            return;
        }
        try {
            c.setAutoCommit(true);
            try {
                positions().learn(pool.member().name(), c);
            } finally {
                c.setAutoCommit(false);
            }
        } catch (SQLException | RuntimeException e) {
            // the write is committed; only its position is unknown, so a read right after it may miss it
            log.debug("pgcluster {}: could not learn the WAL position after a commit on {}: {}", clusterName(),
                    pool.member().name(), e.toString());
        }
    }

    /**
     * A statement with text {@code sql} ({@code null} when unknown: a batch, a text run through something unwrapped)
     * succeeded on the bound connection. For read-your-writes, a statement on the leader that may have written
     * (anything but a text a replica could run) makes its transaction's commit learn a WAL position, or, in
     * auto-commit mode, learns one now: a read-write transaction of SELECTs costs no extra round trip.
     */
    void afterStatement(String sql) {
        MemberPool pool = boundPool;
        Connection c = bound;
        if (c == null || pool == null || !pool.isWrite() || (!is(AUTO_COMMIT) && is(TX_MAY_HAVE_WRITTEN))
                || !positions().mayWrite(sql)) {
            return;
        }
        if (is(AUTO_COMMIT)) {
            afterAutoCommitWrite(pool, c);
        } else {
            set(TX_MAY_HAVE_WRITTEN, true);
        }
    }

    /**
     * An auto-commit statement that may have written succeeded on {@code physical}, a connection of the leader's
     * pool in auto-commit mode: learn a WAL position covering it (one round trip). Never throws.
     */
    void afterAutoCommitWrite(MemberPool pool, Connection physical) {
        if (!positions().enabled()) {
            return;
        }
        try {
            positions().learn(pool.member().name(), physical);
        } catch (SQLException | RuntimeException e) {
            log.debug("pgcluster {}: could not learn the WAL position after an auto-commit write on {}: {}",
                    clusterName(), pool.member().name(), e.toString());
        }
    }

    /**
     * COMMIT of a read-write transaction whose member lost the leader key (its write pool was retired) before COMMIT
     * was sent: it is never sent to a server that may be rewound; the transaction is rolled back (or ends with the
     * connection, which is evicted), so pgcluster can say that nothing was committed: 08006.
     */
    private SQLException rolledBackBeforeCommit(MemberPool pool, Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException e) {
            // the pool was shut down under the connection: the server ends the transaction with the session
            log.debug("pgcluster {}: rollback on {} failed: {}", clusterName(), pool, e.toString());
        }
        drop();
        metrics().connectionFailed(pool, null, SqlStates.TRANSACTION_LOST);
        return FailurePolicy.leaderLostBeforeCommit(pool.member().name());
    }

    /** Rolls back; after a connection failure there is nothing left to roll back (the server did). */
    @Override
    public void rollback() throws SQLException {
        checkOpen();
        if (is(AUTO_COMMIT)) {
            throw new SQLException("Cannot rollback when autoCommit is enabled.", SqlStates.NO_ACTIVE_TRANSACTION);
        }
        endTransaction();
        Connection p = boundPhysical();
        if (p == null) {
            return;
        }
        if (p.isClosed()) {
            drop(); // HikariCP closed its proxy after a broken-connection error: the server rolled back
            return;
        }
        try {
            p.rollback(); // no round trip when nothing is open
        } catch (SQLException e) {
            if (!Failures.isConnectionFailure(e)) {
                throw e;
            }
            drop();
        }
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
        endSavepoint(savepoint, false);
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
        endSavepoint(savepoint, true);
    }

    /** Rolls back to or releases {@code savepoint}: both fail with 08006 when the transaction was lost. */
    private void endSavepoint(Savepoint savepoint, boolean release) throws SQLException {
        checkOpen();
        checkNotLost();
        try {
            Connection p = physical();
            if (release) {
                p.releaseSavepoint(savepoint);
            } else {
                p.rollback(savepoint);
            }
        } catch (SQLException e) {
            throw lostIfConnectionFailure(e);
        }
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
        return savepoint(null);
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
        return savepoint(name);
    }

    private Savepoint savepoint(String name) throws SQLException {
        Connection p = physical();
        boolean first = beginStatement();
        try {
            if (first) {
                beginTransaction();
            }
            return name == null ? p.setSavepoint() : p.setSavepoint(name);
        } catch (SQLException e) {
            throw lostIfConnectionFailure(e);
        }
    }

    /** A call inside a transaction failed: {@link FailurePolicy#callFailed} decides. */
    private SQLException lostIfConnectionFailure(SQLException e) {
        if (!Failures.isConnectionFailure(e) || bound == null) {
            return e;
        }
        MemberPool failed = drop(); // a connection failure: the connection is gone whatever the transaction
        String member = failed == null ? "?" : failed.member().name();
        if (FailurePolicy.callFailed(true, true, is(AUTO_COMMIT)) == Decision.RETHROW) {
            metrics().connectionFailed(failed, e.getSQLState(), null);
            return e;
        }
        metrics().connectionFailed(failed, e.getSQLState(), SqlStates.TRANSACTION_LOST);
        lost(member);
        return FailurePolicy.lostInTransactionCall(member, e);
    }

    // ---- state -------------------------------------------------------------------------------------------------

    @Override
    public void setAutoCommit(boolean value) throws SQLException {
        checkOpen();
        if (value == is(AUTO_COMMIT)) {
            return;
        }
        if (value && tx() != TransactionState.IDLE) {
            commit(); // JDBC: switching auto-commit on commits the transaction
        }
        if (!value && bound != null && is(BOUND_READ) != is(READ_ONLY) && !is(UNWRAPPED)) {
            release(); // bound for an auto-commit read (autoCommitReads=replica): a transaction follows the flag
        }
        set(AUTO_COMMIT, value);
        Connection p = boundPhysical();
        if (p != null) {
            try {
                p.setAutoCommit(value);
            } catch (SQLException e) {
                if (!Failures.isConnectionFailure(e)) {
                    throw e;
                }
                drop(); // bind applies it to the next physical connection
            }
        }
    }

    @Override
    public boolean getAutoCommit() throws SQLException {
        checkOpen();
        return is(AUTO_COMMIT);
    }

    /**
     * Sets the routing flag: read-only work goes to a replica, read-write work to the leader. Changing it between
     * transactions returns the bound physical connection so that the next statement binds to the right member;
     * changing it inside a transaction fails with SQLState 25001, as in pgjdbc.
     */
    @Override
    public void setReadOnly(boolean value) throws SQLException {
        checkOpen();
        if (value == is(READ_ONLY)) {
            return;
        }
        if (inTransaction()) {
            throw new SQLException("Cannot change transaction read-only property in the middle of a transaction.",
                    SqlStates.ACTIVE_TRANSACTION);
        }
        set(READ_ONLY, value);
        release();
    }

    @Override
    public boolean isReadOnly() throws SQLException {
        checkOpen();
        return is(READ_ONLY);
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
        session().clientInfo(boundPhysical(), name, value);
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
        if (closed) {
            Map<String, ClientInfoStatus> failed = new HashMap<>();
            properties.stringPropertyNames().forEach(k -> failed.put(k, ClientInfoStatus.REASON_UNKNOWN));
            throw new SQLClientInfoException("This connection has been closed.", failed);
        }
        session().clientInfo(boundPhysical(), properties);
    }

    // ---- statements --------------------------------------------------------------------------------------------

    @Override
    public DatabaseMetaData getMetaData() throws SQLException {
        checkOpen();
        physical();
        // Each call asks the physical connection bound at that moment (pgjdbc caches its metadata object), so that
        // metadata never runs on a connection this one has since returned to the pool.
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("getConnection") && method.getParameterCount() == 0) {
                return this;
            }
            try {
                return method.invoke(physical().getMetaData(), args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (DatabaseMetaData) Proxy.newProxyInstance(DatabaseMetaData.class.getClassLoader(),
                new Class<?>[] {DatabaseMetaData.class}, h);
    }

    // ---- life cycle --------------------------------------------------------------------------------------------

    /**
     * Whether the connection can be used: true until closed. A logical connection heals itself (it rebinds after
     * a failure), so an outer pool has no reason to discard it; a bound physical connection that is not valid is
     * dropped here so that the next use binds afresh.
     */
    @Override
    public boolean isValid(int timeoutSeconds) throws SQLException {
        if (timeoutSeconds < 0) {
            throw new SQLException("timeout must not be negative", SqlStates.INVALID_PARAMETER);
        }
        if (closed) {
            return false;
        }
        Connection p = boundPhysical();
        if (p != null && (inTransaction() || is(UNWRAPPED))) {
            return p.isValid(timeoutSeconds);
        }
        if (p != null && !p.isValid(timeoutSeconds)) {
            drop(); // the next use binds afresh
        }
        return true;
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        return p == null ? null : p.getWarnings();
    }

    @Override
    public void clearWarnings() throws SQLException {
        checkOpen();
        Connection p = boundPhysical();
        if (p != null) {
            p.clearWarnings();
        }
    }

    /** Returns the physical connection to its pool (rolling back an open transaction) and closes this one. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void abort(Executor executor) throws SQLException {
        if (executor == null) {
            throw new SQLException("executor must not be null", SqlStates.INVALID_PARAMETER);
        }
        if (closed) {
            return;
        }
        // the flags are the owning thread's (a read-modify-write from here could undo one of its writes): closed is
        // all that this thread changes, and every use checks it first
        closed = true;
        Connection c = bound;
        MemberPool p = boundPool; // read after bound: the pool bind wrote before it
        bound = null;
        if (c != null) {
            c.abort(executor);
            p.evict(c);
        }
    }

    /**
     * This connection, or what the bound physical connection unwraps to (pgjdbc's {@code PGConnection} for its
     * CopyManager and large objects). Work done through an unwrapped object is invisible to pgcluster, so from then
     * on the physical connection stays bound until this connection is closed, its read-only flag changes or its
     * connection fails; inside a transaction the transaction counts as open and written. Objects obtained here
     * belong to that physical connection: do not use them after those events.
     */
    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        // with autoCommitReads=replica, work through it is unknown: on the leader, like a statement not understood
        T inner = physicalFor(null, false).unwrap(iface);
        markUnwrapped();
        return inner;
    }

    /** Something of the bound physical connection was handed out (see {@link #unwrap}). */
    void markUnwrapped() throws SQLException {
        if (!is(UNWRAPPED) && tx() == TransactionState.IDLE) {
            beginTransaction(); // work through it may open the transaction: its isolation level first
        }
        set(UNWRAPPED, true);
        tx(tx().afterUnwrap(is(AUTO_COMMIT)));
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || physical().isWrapperFor(iface);
    }

    @Override
    public String toString() {
        Connection c = bound;
        return "pgcluster connection [" + clusterName() + (is(READ_ONLY) ? ", read-only" : ", read-write")
                + (c == null ? ", unbound" : ", on " + boundPool.member().name()) + (closed ? ", closed" : "") + "]";
    }
}
