package io.pgcluster.jdbc.failover;

import java.sql.SQLException;

/**
 * The transaction state of one logical connection, as a small state machine:
 * <pre>
 *   IDLE --statement (auto-commit off)--&gt; OPEN --connection failed--&gt; LOST
 *    ^                                     |                            |
 *    +------------ commit / rollback ------+---------- rollback --------+  (commit of LOST: 08006, then IDLE)
 * </pre>
 * In {@code LOST} the server has rolled the transaction back with its connection; every call fails with 08006
 * until {@code rollback()} (or a failing {@code commit()}), so that the rest of a transaction cannot continue,
 * half done, on another server.
 *
 * <p>Not thread-safe, like the connection that owns it.
 */
public final class TransactionState {

    /** Where the transaction is. */
    public enum Phase {
        /** No statement since the transaction began (or auto-commit is on): nothing can be lost. */
        IDLE,
        /** A statement ran since the transaction began. */
        OPEN,
        /** The transaction's connection failed; the server rolled it back. */
        LOST
    }

    private Phase phase = Phase.IDLE;
    /** The member whose connection failed, while {@link Phase#LOST}. */
    private String lostOn;

    public Phase phase() {
        return phase;
    }

    /** Whether a statement ran since the transaction began. */
    public boolean isOpen() {
        return phase == Phase.OPEN;
    }

    /** Whether the transaction was lost (08006 until rollback). */
    public boolean isLost() {
        return phase == Phase.LOST;
    }

    /**
     * A statement is about to run.
     *
     * @param autoCommit whether the connection is in auto-commit mode (no transaction to open)
     * @param unwrapped whether work may have run through an unwrapped physical connection (it counts as a statement)
     * @return whether this is the first statement of its transaction: nothing before it can be lost
     * @throws SQLException 08006 while the transaction is lost
     */
    public boolean beginStatement(boolean autoCommit, boolean unwrapped) throws SQLException {
        checkNotLost();
        boolean first = phase != Phase.OPEN && !unwrapped;
        if (!autoCommit) {
            phase = Phase.OPEN;
        }
        return first;
    }

    /** Work was done that pgcluster cannot see (an unwrapped connection): inside a transaction it counts as open. */
    public void opened(boolean autoCommit) {
        if (!autoCommit && phase == Phase.IDLE) {
            phase = Phase.OPEN;
        }
    }

    /** The transaction's connection to {@code member} failed: the transaction is lost. */
    public void lost(String member) {
        phase = Phase.LOST;
        lostOn = member;
    }

    /** The transaction ended (commit, rollback), or a failed statement was moved elsewhere and runs afresh. */
    public void end() {
        phase = Phase.IDLE;
        lostOn = null;
    }

    /** @throws SQLException 08006 while the transaction is lost */
    public void checkNotLost() throws SQLException {
        if (phase == Phase.LOST) {
            throw FailurePolicy.stillLost(lostOn);
        }
    }

    /**
     * COMMIT of a lost transaction: ends it and returns the 08006 to throw, or {@code null} when it was not lost.
     */
    public SQLException commitLost() {
        if (phase != Phase.LOST) {
            return null;
        }
        String member = lostOn;
        end();
        return FailurePolicy.lostBeforeCommit(member);
    }

    @Override
    public String toString() {
        return phase == Phase.LOST ? "LOST on " + lostOn : phase.name();
    }
}
