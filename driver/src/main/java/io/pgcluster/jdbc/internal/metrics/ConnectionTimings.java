package io.pgcluster.jdbc.internal.metrics;

/**
 * Receives the connection pool's own measurements for one member and {@link Access}: how long a borrow, a use and
 * the opening of a connection took, and borrows that timed out. Called on the threads borrowing and returning
 * connections, so an implementation must be quick and must not block. Every method is a no-op by default.
 *
 * <p>Thread-safety: implementations must be thread-safe.
 */
public interface ConnectionTimings {

    /** A connection was borrowed after waiting {@code nanos}. */
    default void connectionAcquired(long nanos) {
    }

    /** A connection was returned after being in use {@code millis}. */
    default void connectionUsed(long millis) {
    }

    /** A new physical connection took {@code millis} to open. */
    default void connectionCreated(long millis) {
    }

    /**
     * One wait inside the pool timed out. pgcluster borrows in short slices, so this counts slices, not requests;
     * {@link ClusterMetrics#borrowTimedOut} counts requests.
     */
    default void connectionTimedOut() {
    }
}
