package io.pgcluster.jdbc.internal.failover;

import io.pgcluster.jdbc.failover.SqlStates;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/**
 * The one place that decides what a failure means for the caller: run the statement again elsewhere, report the
 * transaction lost (08006), report the outcome unknown (08007), or let the failure through as it is. Every row of
 * the table in docs/failover.md ("What your code sees") that concerns a bound connection is decided here, from
 * plain facts, so that it can be tested without a cluster; the logical connection only gathers the facts, carries
 * out the decision and builds the exception with the factories below.
 *
 * <p>Thread-safety: stateless.
 */
public final class FailurePolicy {
    private FailurePolicy() {
    }

    /** What to do about a failure. */
    public enum Decision {
        /** Not pgcluster's business (not a connection failure, or nothing bound): throw it as it is. */
        RETHROW,
        /** Nothing can be lost or happen twice: move the statement to another member and run it again. */
        REPLAY,
        /** The server rolled the transaction back (or the statement cannot be run again): 08006. */
        TRANSACTION_LOST,
        /** Whether it took effect is unknown: 08007. */
        OUTCOME_UNKNOWN,
        /** Nothing was lost: carry on as if it had succeeded (COMMIT of a read-only transaction). */
        SUCCEED
    }

    /**
     * A statement failed with a connection failure, or another error.
     *
     * @param connectionFailure whether the failure is a connection failure ({@link Failures#isConnectionFailure})
     * @param bound whether a physical connection was bound (else there is nothing to recover)
     * @param autoCommit whether the connection is in auto-commit mode
     * @param readOnly the connection's read-only flag
     * @param onWritePool whether the failed connection came from the leader's (write) pool
     * @param first whether the statement is the first of its transaction
     * @param canRunAgain whether the statement can be re-created elsewhere (no batch, stream or callable parameters),
     *     attempts remain and the connection is open
     */
    public static Decision statementFailed(boolean connectionFailure, boolean bound, boolean autoCommit,
            boolean readOnly, boolean onWritePool, boolean first, boolean canRunAgain) {
        return statementFailed(connectionFailure, bound, autoCommit, readOnly, onWritePool, first, canRunAgain,
                false);
    }

    /**
     * As {@link #statementFailed(boolean, boolean, boolean, boolean, boolean, boolean, boolean)}, for a statement
     * whose SQL text may also have been judged to only read.
     *
     * @param classifiedRead whether {@code autoCommitReads=replica} judged the auto-commit statement's SQL text to
     *     only read ({@link io.pgcluster.jdbc.internal.routing.StatementClassifier#replicaSafe})
     */
    public static Decision statementFailed(boolean connectionFailure, boolean bound, boolean autoCommit,
            boolean readOnly, boolean onWritePool, boolean first, boolean canRunAgain, boolean classifiedRead) {
        if (!connectionFailure || !bound) {
            return Decision.RETHROW;
        }
        // Run again only where nothing can happen twice or be lost: a read-only auto-commit statement on a replica
        // (a hot standby refuses writes, while on the leader read-only is not enforced in auto-commit mode), an
        // auto-commit statement whose text the classifier found to only read (wherever it ran: the text itself
        // vouches that it wrote nothing), or the first statement of a transaction (the server rolled the
        // transaction back with the connection).
        boolean vouched = autoCommit && classifiedRead;
        boolean safe = autoCommit ? readOnly && !onWritePool || vouched : first;
        if (safe && canRunAgain) {
            return Decision.REPLAY;
        }
        if (!autoCommit || readOnly || vouched) {
            return Decision.TRANSACTION_LOST;
        }
        return Decision.OUTCOME_UNKNOWN;
    }

    /**
     * A statement on the leader's connection was refused with 25006 by a server that says it is in recovery: the
     * member was demoted while a pooler in front of it kept the session. Nothing was written there (a standby
     * writes nothing), so an auto-commit statement or the first of a transaction runs again on the leader; a later
     * statement loses the transaction (its earlier statements ran on the old leader or the standby).
     */
    public static Decision refusedByStandby(boolean autoCommit, boolean first, boolean canRunAgain) {
        return (autoCommit || first) && canRunAgain ? Decision.REPLAY : Decision.TRANSACTION_LOST;
    }

    /**
     * Before COMMIT is sent.
     *
     * @param wrote whether the transaction may have written (a statement ran, or work through unwrap, and the
     *     connection is not read-only)
     * @param onRetiredWritePool whether the connection came from a leader's pool that the topology has retired
     *     (the member lost the leader key)
     * @param sessionClosed whether the physical connection is already closed (HikariCP closed it after a
     *     broken-connection error that did not pass through pgcluster)
     * @return {@link Decision#TRANSACTION_LOST} (never send COMMIT: roll back, 08006), {@link Decision#SUCCEED}
     *     (the session is gone and nothing was written: nothing to commit) or {@link Decision#RETHROW} (send it)
     */
    public static Decision beforeCommit(boolean wrote, boolean onRetiredWritePool, boolean sessionClosed) {
        if (wrote && onRetiredWritePool) {
            return Decision.TRANSACTION_LOST;
        }
        if (sessionClosed) {
            return wrote ? Decision.TRANSACTION_LOST : Decision.SUCCEED;
        }
        return Decision.RETHROW;
    }

    /**
     * COMMIT failed.
     *
     * @return {@link Decision#RETHROW} for anything but a connection failure; {@link Decision#SUCCEED} for a
     *     read-only transaction (it had nothing to commit); else {@link Decision#OUTCOME_UNKNOWN}
     */
    public static Decision commitFailed(boolean connectionFailure, boolean readOnly) {
        if (!connectionFailure) {
            return Decision.RETHROW;
        }
        return readOnly ? Decision.SUCCEED : Decision.OUTCOME_UNKNOWN;
    }

    /**
     * COMMIT succeeded; {@code onRetiredWritePool}: the member lost the leader key meanwhile. A server that lost the
     * key may be rewound, and whether the new leader has the transaction is unknown: 08007.
     */
    public static Decision afterCommit(boolean wrote, boolean onRetiredWritePool) {
        return wrote && onRetiredWritePool ? Decision.OUTCOME_UNKNOWN : Decision.SUCCEED;
    }

    /**
     * A call other than a statement (a savepoint, creating a statement) failed inside a transaction: a connection
     * failure loses the transaction (08006); in auto-commit mode, or for another error, the failure goes through.
     */
    public static Decision callFailed(boolean connectionFailure, boolean bound, boolean autoCommit) {
        if (!connectionFailure || !bound || autoCommit) {
            return Decision.RETHROW;
        }
        return Decision.TRANSACTION_LOST;
    }

    // ---- the exceptions: every SQLState pgcluster reports for a failover is chosen below ----------------------

    /** 08006: a statement inside a transaction failed with its connection. */
    public static SQLException lostInTransaction(String member, SQLException cause) {
        return new SQLTransientConnectionException("pgcluster: the connection to " + member + " failed inside a "
                + "transaction; the transaction was rolled back by the server and can be run again from the "
                + "start (call rollback() first): " + cause.getMessage(), SqlStates.TRANSACTION_LOST, cause);
    }

    /** 08006: a call inside a transaction (a savepoint) failed with its connection. */
    public static SQLException lostInTransactionCall(String member, SQLException cause) {
        return new SQLTransientConnectionException("pgcluster: the connection to " + member + " failed inside a "
                + "transaction; the transaction was rolled back by the server", SqlStates.TRANSACTION_LOST, cause);
    }

    /** 08006: a read-only auto-commit statement that cannot be run again (on the leader, a batch, no attempts). */
    public static SQLException readOnlyStatementLost(String member, SQLException cause) {
        return new SQLTransientConnectionException("pgcluster: the connection to " + member + " failed during a "
                + "read-only statement that cannot be run again automatically: " + cause.getMessage(),
                SqlStates.TRANSACTION_LOST, cause);
    }

    /** 08006: the leader's connection reached a standby ({@link #refusedByStandby}); nothing was written there. */
    public static SQLException standbyRefused(String member, SQLException cause) {
        return new SQLTransientConnectionException("pgcluster: " + member + " is no longer the leader: its server "
                + "refused the write as a standby, nothing was written; run it again (after rollback() inside a "
                + "transaction): " + cause.getMessage(), SqlStates.TRANSACTION_LOST, cause);
    }

    /** 08007: a read-write auto-commit statement failed with its connection. */
    public static SQLException autoCommitOutcomeUnknown(String member, SQLException cause) {
        return new SQLNonTransientConnectionException("pgcluster: the connection to " + member + " failed during an "
                + "auto-commit statement; whether it took effect is unknown: " + cause.getMessage(),
                SqlStates.OUTCOME_UNKNOWN, cause);
    }

    /** 08006: any call after the transaction was lost, until rollback. */
    public static SQLException stillLost(String member) {
        return new SQLTransientConnectionException("pgcluster: the current transaction was lost when the "
                + "connection to " + member + " failed; call rollback() and run the transaction again",
                SqlStates.TRANSACTION_LOST);
    }

    /** 08006: COMMIT of a transaction lost earlier. */
    public static SQLException lostBeforeCommit(String member) {
        return new SQLTransientConnectionException("pgcluster: the transaction was lost when the connection to "
                + member + " failed; nothing was committed", SqlStates.TRANSACTION_LOST);
    }

    /** 08006: COMMIT found its session already closed. */
    public static SQLException sessionClosedBeforeCommit(String member) {
        return new SQLTransientConnectionException("pgcluster: the connection to " + member
                + " failed before COMMIT; the server rolled the transaction back, nothing was committed",
                SqlStates.TRANSACTION_LOST);
    }

    /** 08006: the member lost the leader key before COMMIT was sent; it was rolled back there. */
    public static SQLException leaderLostBeforeCommit(String member) {
        return new SQLTransientConnectionException("pgcluster: " + member + " lost the leader key "
                + "before COMMIT; the transaction was rolled back there, nothing was committed; run it again on the "
                + "new leader", SqlStates.TRANSACTION_LOST);
    }

    /** 08007: COMMIT failed with its connection. */
    public static SQLException commitOutcomeUnknown(String member, SQLException cause) {
        return new SQLNonTransientConnectionException("pgcluster: the connection to " + member + " failed during "
                + "COMMIT; whether the transaction committed is unknown: " + cause.getMessage(),
                SqlStates.OUTCOME_UNKNOWN, cause);
    }

    /** 08007: COMMIT succeeded while the member lost the leader key. */
    public static SQLException leaderLostDuringCommit(String member) {
        return new SQLNonTransientConnectionException("pgcluster: " + member + " lost the leader "
                + "key while the transaction committed; whether the new leader has it is unknown",
                SqlStates.OUTCOME_UNKNOWN);
    }

    /** 08003: a statement of a failed or replaced physical connection that cannot be re-created. */
    public static SQLException cannotRecreate() {
        return new SQLNonTransientConnectionException("pgcluster: this statement belonged to a physical "
                + "connection that failed or was replaced, and cannot be re-created (batch, stream or callable "
                + "parameters); create the statement again", SqlStates.CONNECTION_CLOSED);
    }

    /** 08003: the logical connection is closed. */
    public static SQLException connectionClosed() {
        return new SQLNonTransientConnectionException("This connection has been closed.",
                SqlStates.CONNECTION_CLOSED);
    }
}
