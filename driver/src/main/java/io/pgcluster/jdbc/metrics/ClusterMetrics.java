package io.pgcluster.jdbc.metrics;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import io.pgcluster.jdbc.routing.MemberPool;
import io.pgcluster.jdbc.topology.Topology;

/**
 * What a cluster's topology, pools, routing and failover handling report as they work: the events behind
 * pgcluster's metrics. Every method is a no-op by default.
 *
 * <p>The driver's parts report to their cluster's {@link ClusterMetricsHub}, which forwards to the
 * implementations attached with {@code PgClusterDataSource.addMetrics}; {@link PgClusterMeterBinder} attaches one
 * that records Micrometer meters. Nothing here needs Micrometer, so the driver runs unchanged without it, and with
 * nothing attached an event costs one call to an empty method, not a branch.
 *
 * <p>An implementation first hears {@link #attached} with the current topology, then {@link #poolOpened} for every
 * pool already open, then events as they happen, and {@link #closed()} last, when the data source closes. Events
 * about the topology and pools arrive one at a time; the others arrive concurrently, from the threads doing the
 * work, some of them on every {@code getConnection()} use.
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

    /** A pool was opened for a member and role (or was open when this implementation was attached). */
    default void poolOpened(MemberPool pool) {
    }

    /**
     * What records HikariCP's own measurements of {@code pool} (connection acquire, usage and creation times,
     * timeouts), or {@code null}. Asked once per pool, right after {@link #poolOpened}; the driver installs it in
     * the running pool.
     */
    default IMetricsTracker poolTracker(MemberPool pool) {
        return null;
    }

    /** A pool was shut down; nothing is reported about it afterwards. */
    default void poolClosed(MemberPool pool) {
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
     * A writer waited this long for a leader (during a failover or switchover).
     *
     * @param acquired whether it got a connection to a leader; else it gave up with SQLState 08001
     */
    default void leaderWait(long nanos, boolean acquired) {
    }

    /** No member could take the work in the time allowed: the application gets SQLState 08001. */
    default void unavailable() {
    }

    /**
     * A read-write transaction with at least one statement committed on {@code pool} (a write pool).
     */
    default void writeCommitted(MemberPool pool) {
    }

    /**
     * A borrow from {@code pool} gave up after {@code connectionTimeout}: the pool stayed saturated (not a failover,
     * which is counted as waits for a leader). pgcluster borrows in short slices, so HikariCP's own timeout events
     * do not count requests; this does.
     */
    default void borrowTimedOut(MemberPool pool) {
    }

    /**
     * A member refused a new connection or could not be reached while {@code pool} opened one.
     *
     * @param sqlState the failure's SQLState, or {@code null}
     */
    default void connectFailed(MemberPool pool, String sqlState) {
    }

    /**
     * A physical connection in use failed.
     *
     * @param pool the pool it came from, or {@code null} if unknown
     * @param sqlState the failure's SQLState as pgjdbc or the server reported it, or {@code null}
     * @param reportedAs the SQLState pgcluster reported instead (08006, 08007), or {@code null} when it ran the
     *     statement again elsewhere or the failure did not matter (a read-only COMMIT)
     */
    default void connectionFailed(MemberPool pool, String sqlState, String reportedAs) {
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
