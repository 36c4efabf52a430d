package io.pgcluster.jdbc.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The transaction state machine, and docs/failover.md's "After 08006, every call ... fails until rollback()". */
class TransactionStateTest {

    @Test
    void theFirstStatementOfATransactionIsFirstAndOpensIt() throws SQLException {
        TransactionState tx = new TransactionState();
        assertThat(tx.beginStatement(false, false)).isTrue();
        assertThat(tx.phase()).isEqualTo(TransactionState.Phase.OPEN);
        assertThat(tx.beginStatement(false, false)).as("second statement").isFalse();
        tx.end();
        assertThat(tx.beginStatement(false, false)).as("first of the next transaction").isTrue();
    }

    @Test
    void autoCommitStatementsOpenNothing() throws SQLException {
        TransactionState tx = new TransactionState();
        assertThat(tx.beginStatement(true, false)).isTrue();
        assertThat(tx.beginStatement(true, false)).isTrue();
        assertThat(tx.phase()).isEqualTo(TransactionState.Phase.IDLE);
    }

    @Test
    void afterUnwrapNoStatementIsFirst() throws SQLException {
        TransactionState tx = new TransactionState();
        tx.opened(false);
        assertThat(tx.isOpen()).isTrue();
        assertThat(new TransactionState().beginStatement(false, true)).isFalse();
    }

    @Test
    void aLostTransactionFailsEveryCallWith08006UntilRollback() throws SQLException {
        TransactionState tx = new TransactionState();
        tx.beginStatement(false, false);
        tx.lost("pg1");
        assertThat(tx.isLost()).isTrue();
        assertThatThrownBy(() -> tx.beginStatement(false, false)).isInstanceOf(SQLException.class)
                .hasMessageContaining("pg1").extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo(SqlStates.TRANSACTION_LOST);
        assertThatThrownBy(tx::checkNotLost).extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo(SqlStates.TRANSACTION_LOST);
        tx.end(); // rollback()
        tx.checkNotLost();
        assertThat(tx.beginStatement(false, false)).isTrue();
    }

    @Test
    void commitOfALostTransactionFailsOnceWith08006AndEndsIt() {
        TransactionState tx = new TransactionState();
        assertThat((Object) tx.commitLost()).as("not lost").isNull();
        tx.lost("pg2");
        SQLException e = tx.commitLost();
        assertThat(e.getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
        assertThat(e.getMessage()).contains("nothing was committed");
        assertThat(tx.phase()).isEqualTo(TransactionState.Phase.IDLE);
    }
}
