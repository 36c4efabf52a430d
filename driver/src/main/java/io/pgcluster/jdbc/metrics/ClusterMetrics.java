package io.pgcluster.jdbc.metrics;

/**
 * What routing and failover report as they work. The default is {@link #NOOP}; a Micrometer implementation is
 * bound when Micrometer is present and asked for, so the driver runs unchanged without it and the hot path pays
 * one interface call, not a branch per event.
 *
 * <p>Implementations must be thread-safe and must not block.
 */
public interface ClusterMetrics {

    /** Does nothing. */
    ClusterMetrics NOOP = new ClusterMetrics() {
    };

    /**
     * A physical connection was bound.
     *
     * @param readOnly whether the work was read-only
     * @param toLeader whether it went to the leader (always for writes; for reads, the fallback)
     */
    default void routed(boolean readOnly, boolean toLeader) {
    }

    /** A writer waited this long for a leader (during a failover or switchover), whether or not it got one. */
    default void leaderWait(long nanos) {
    }

    /** A connection failure on a bound connection of {@code member}, surfaced (or retried) as {@code sqlState}. */
    default void connectionFailure(String member, String sqlState, boolean retried) {
    }

    /** A unit of work is attempted again after a retryable failure with {@code sqlState}. */
    default void retry(String sqlState) {
    }
}
