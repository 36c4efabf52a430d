package io.pgcluster.jdbc.internal.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.failover.SqlStates;
import org.junit.jupiter.api.Test;

/**
 * The transaction state machine's transitions. That a LOST transaction fails every call with 08006 until rollback
 * is LogicalConnectionTest's (the connection carries it out).
 */
class TransactionStateTest {

    @Test
    void theFirstStatementOfATransactionIsFirstAndOpensIt() {
        TransactionState tx = TransactionState.IDLE;
        assertThat(tx.isFirstStatement(false)).isTrue();
        tx = tx.afterStatement(false);
        assertThat(tx).isEqualTo(TransactionState.OPEN);
        assertThat(tx.isFirstStatement(false)).as("second statement").isFalse();
        assertThat(tx.afterStatement(false)).isEqualTo(TransactionState.OPEN);
    }

    @Test
    void autoCommitStatementsOpenNothing() {
        assertThat(TransactionState.IDLE.afterStatement(true)).isEqualTo(TransactionState.IDLE);
        assertThat(TransactionState.IDLE.isFirstStatement(false)).isTrue();
    }

    @Test
    void afterUnwrapNoStatementIsFirstAndATransactionCountsAsOpen() {
        assertThat(TransactionState.IDLE.isFirstStatement(true)).isFalse();
        assertThat(TransactionState.IDLE.afterUnwrap(false)).isEqualTo(TransactionState.OPEN);
        assertThat(TransactionState.IDLE.afterUnwrap(true)).as("auto-commit").isEqualTo(TransactionState.IDLE);
        assertThat(TransactionState.LOST.afterUnwrap(false)).as("lost stays lost").isEqualTo(TransactionState.LOST);
    }

    @Test
    void aLostTransactionSaysWhereItWasLostAndHowToGoOn() {
        assertThat(FailurePolicy.stillLost("pg1").getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
        assertThat(FailurePolicy.stillLost("pg1").getMessage()).contains("pg1").contains("call rollback()");
        assertThat(FailurePolicy.lostBeforeCommit("pg2").getMessage()).contains("nothing was committed");
    }
}
