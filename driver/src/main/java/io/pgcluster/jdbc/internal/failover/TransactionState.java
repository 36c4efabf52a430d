package io.pgcluster.jdbc.internal.failover;

/**
 * The transaction state of one logical connection, as a small state machine (an enum, so that a connection holds
 * it in one field and a transition allocates nothing):
 * <pre>
 *   IDLE --statement (auto-commit off)--&gt; OPEN --connection failed--&gt; LOST
 *    ^                                     |                            |
 *    +------------ commit / rollback ------+---------- rollback --------+  (commit of LOST: 08006, then IDLE)
 * </pre>
 * In {@code LOST} the server has rolled the transaction back with its connection; every call fails with 08006
 * ({@link FailurePolicy#stillLost}) until {@code rollback()} (or a failing {@code commit()}), so that the rest of a
 * transaction cannot continue, half done, on another server. The connection keeps the name of the member that
 * failed beside it, for the message.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum TransactionState {
    /** No statement since the transaction began (or auto-commit is on): nothing can be lost. */
    IDLE,
    /** A statement ran since the transaction began. */
    OPEN,
    /** The transaction's connection failed; the server rolled it back. */
    LOST;

    /**
     * Whether a statement about to run is the first of its transaction: nothing before it can be lost.
     *
     * @param unwrapped whether work may have run through an unwrapped physical connection (it counts as a statement)
     */
    public boolean isFirstStatement(boolean unwrapped) {
        return this != OPEN && !unwrapped;
    }

    /** The state once a statement began; auto-commit opens no transaction. Never called in {@link #LOST}. */
    public TransactionState afterStatement(boolean autoCommit) {
        return autoCommit ? this : OPEN;
    }

    /** The state once work was done that pgcluster cannot see (an unwrapped connection). */
    public TransactionState afterUnwrap(boolean autoCommit) {
        return !autoCommit && this == IDLE ? OPEN : this;
    }
}
