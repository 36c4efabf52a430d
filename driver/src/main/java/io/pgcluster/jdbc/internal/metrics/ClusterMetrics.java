package io.pgcluster.jdbc.internal.metrics;

import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;

/**
 * What a cluster's topology, pools, routing and failover handling report as they work: the events behind
 * pgcluster's metrics. Every method is a no-op by default.
 *
 * <p>The driver's parts report to their cluster's {@link ClusterMetricsHub}, which forwards to the
 * implementations attached with {@code PgClusterDataSource.addMetrics}; {@code PgClusterMeterBinder} (in
 * {@code io.pgcluster.jdbc.micrometer}) attaches one that records Micrometer meters. Events speak of
 * members ({@link Member}), {@link Access} (write on the leader, read on a replica) and SQLStates, never of the
 * driver's pool objects. Nothing here needs Micrometer, so the driver runs unchanged without it, and with
 * nothing attached an event costs one call to an empty method, not a branch.
 *
 * <p>An implementation first hears {@link #attached} with the current topology, then {@link #poolOpened} for every
 * member and access with connections open, then events as they happen, and {@link #closed()} last, when the data
 * source closes. Events about the topology and pools arrive one at a time; the others arrive concurrently, from the
 * threads doing the work, some of them on every {@code getConnection()} use.
 *
 * <pre>{@code
 * ds.addMetrics(new ClusterMetrics() {
 *     @Override
 *     public void leaderWait(long nanos, boolean acquired) {
 *         log.info("a writer waited {} ms for a leader", nanos / 1_000_000);
 *     }
 * });
 * }</pre>
 *
 * <p>Thread-safety: implementations must be thread-safe, quick, and must not block or throw. New methods may be
 * added, always with a no-op default.
 */
public interface ClusterMetrics {

    /** Does nothing. */
    ClusterMetrics NOOP = new ClusterMetrics() {
    };

    /**
     * This implementation was attached to a running cluster.
     *
     * @param current the topology in force (possibly not yet {@link Topology#isKnown() known})
     */
    default void attached(Topology current) {
    }

    /**
     * A topology snapshot was published: a change, a confirmation of the same layout (polling sources publish at
     * every poll), or the source turning unreachable or reachable. Called on the publishing thread (the topology
     * thread once the source runs), before routing applies the snapshot.
     */
    default void onTopology(Topology previous, Topology current) {
    }

    /**
     * Connections to {@code member} for {@code access} were opened (a pool), or were open when this implementation
     * was attached. The same member and access may be opened again before the first is closed: a retired pool drains
     * beside its successor.
     *
     * @param counts what may be read about these connections from now on, until {@link #poolClosed} with the same
     *     {@code counts}
     */
    default void poolOpened(Member member, Access access, ConnectionCounts counts) {
    }

    /**
     * What receives the pool's own measurements of the connections just reported by {@link #poolOpened} (borrow,
     * use and opening times, timeouts), or {@code null}. Asked once, right after {@link #poolOpened}.
     */
    default ConnectionTimings poolTimings(Member member, Access access) {
        return null;
    }

    /**
     * The connections reported by {@link #poolOpened} with {@code counts} were shut down; nothing follows about
     * them.
     */
    default void poolClosed(Member member, Access access, ConnectionCounts counts) {
    }

    /**
     * A physical connection was bound.
     *
     * @param readOnly whether the work was read-only
     * @param toLeader whether it went to the leader (always for writes; for reads, the fallback)
     */
    default void routed(boolean readOnly, boolean toLeader) {
    }

    /**
     * With {@code autoCommitReads=replica}: an auto-commit statement (read-only flag unset) was routed by its SQL
     * text. Called once per execution, before any connection is bound; where a read then runs (a replica, or the
     * leader as a fallback) is told by {@link #routed}.
     *
     * @param read whether the text was found to only read (a replica may run it); else it goes to the leader
     */
    default void statementRouted(boolean read) {
    }

    /**
     * A read that had to see a write position (read-your-writes: this JVM's writes, or a scope the application
     * opened) was served: by a replica that had replayed it ({@code waited} whether it had to wait for that), or,
     * {@code toLeader}, by the leader because the replica had not replayed it within {@code readYourWritesTimeout}.
     * Not called for reads that had nothing to see.
     */
    default void freshRead(boolean waited, boolean toLeader) {
    }

    /**
     * A writer waited this long for a leader (during a failover or switchover).
     *
     * @param acquired whether it got a connection to a leader; else it gave up with SQLState 08001
     */
    default void leaderWait(long nanos, boolean acquired) {
    }

    /**
     * A write found the leader draining for an announced switchover and waits for the new leader instead of starting
     * there (its wait is also reported through {@link #leaderWait}).
     */
    default void drainHeld() {
    }

    /** No member could take the work in the time allowed: the application gets SQLState 08001. */
    default void unavailable() {
    }

    /** A read-write transaction with at least one statement committed on {@code leader}. */
    default void writeCommitted(Member leader) {
    }

    /**
     * A borrow of a connection to {@code member} for {@code access} gave up after {@code connectionTimeout}: its
     * connections stayed in use (not a failover, which is counted as waits for a leader). pgcluster borrows in short
     * slices, so {@link ConnectionTimings#connectionTimedOut()} does not count requests; this does.
     */
    default void borrowTimedOut(Member member, Access access) {
    }

    /**
     * {@code member} refused a new connection for {@code access}, or could not be reached.
     *
     * @param sqlState the failure's SQLState, or {@code null}
     */
    default void connectFailed(Member member, Access access, String sqlState) {
    }

    /**
     * A physical connection in use failed.
     *
     * @param member the member it was connected to, or {@code null} if unknown
     * @param access what it was used for, or {@code null} if unknown
     * @param sqlState the failure's SQLState as pgjdbc or the server reported it, or {@code null}
     * @param reportedAs the SQLState pgcluster reported instead (08006, 08007), or {@code null} when it ran the
     *     statement again elsewhere or the failure did not matter (a read-only COMMIT)
     */
    default void connectionFailed(Member member, Access access, String sqlState, String reportedAs) {
    }

    /**
     * A unit of work runs again after a retryable failure.
     *
     * @param readOnly whether it is read-only work, else declared idempotent
     * @param sqlState the failure's SQLState, or {@code null}
     */
    default void retry(boolean readOnly, String sqlState) {
    }

    /** The data source closed: release what was registered; no event follows. */
    default void closed() {
    }
}
