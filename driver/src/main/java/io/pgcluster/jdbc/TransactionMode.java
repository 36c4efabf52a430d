package io.pgcluster.jdbc;

/**
 * How {@link PgClusterDataSource#inTransaction} runs a unit of work, and whether it may run it again after a
 * failure: see docs/failover.md.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum TransactionMode {
    /**
     * A read-only transaction on a replica (or the leader as a fallback); run again on a retryable failure
     * (connection failure, 40001, 40P01), since reads change nothing.
     */
    READ_ONLY(true, true),
    /**
     * A read-write transaction on the leader; never run again by pgcluster: a failure is reported with its
     * SQLState (08006: rolled back, safe to run again; 08007: outcome unknown).
     */
    READ_WRITE(false, false),
    /**
     * A read-write transaction the caller declares idempotent: running it twice has the same effect as once
     * (an upsert, a write keyed by a request id). Run again on a retryable failure, including 08007.
     */
    READ_WRITE_IDEMPOTENT(false, true);

    private final boolean readOnly;
    private final boolean retryable;

    TransactionMode(boolean readOnly, boolean retryable) {
        this.readOnly = readOnly;
        this.retryable = retryable;
    }

    /** Whether the transaction is read-only: it runs on a replica, or the leader as a fallback. */
    public boolean isReadOnly() {
        return readOnly;
    }

    /** Whether pgcluster may run the unit of work again after a retryable failure. */
    public boolean isRetryable() {
        return retryable;
    }
}
