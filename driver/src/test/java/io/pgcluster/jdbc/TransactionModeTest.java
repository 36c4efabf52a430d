package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.failover.ClusterUnavailableException;
import io.pgcluster.jdbc.internal.failover.Failures;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** docs/failover.md's table of modes: whether inTransaction runs a unit of work again after a failure. */
class TransactionModeTest {

    private static boolean runsAgain(TransactionMode mode, SQLException failure) {
        return mode.isRetryable() && Failures.isRetryable(failure);
    }

    @Test
    void readOnlyAlwaysOnARetryableFailure() {
        assertThat(TransactionMode.READ_ONLY.isReadOnly()).isTrue();
        for (String state : new String[] {"08006", "08007", "40001", "40P01", "57P01"}) {
            assertThat(runsAgain(TransactionMode.READ_ONLY, new SQLException("x", state))).as(state).isTrue();
        }
        assertThat(runsAgain(TransactionMode.READ_ONLY, new SQLException("x", "23505"))).isFalse();
    }

    @Test
    void readWriteNever() {
        assertThat(TransactionMode.READ_WRITE.isReadOnly()).isFalse();
        assertThat(TransactionMode.READ_WRITE.isRetryable()).isFalse();
        assertThat(runsAgain(TransactionMode.READ_WRITE, new SQLException("x", "08006"))).isFalse();
    }

    @Test
    void idempotentOnARetryableFailureIncluding08007ButNotAfterGivingUp() {
        assertThat(TransactionMode.READ_WRITE_IDEMPOTENT.isReadOnly()).isFalse();
        assertThat(runsAgain(TransactionMode.READ_WRITE_IDEMPOTENT, new SQLException("x", "08007"))).isTrue();
        assertThat(runsAgain(TransactionMode.READ_WRITE_IDEMPOTENT, new SQLException("x", "40001"))).isTrue();
        assertThat(runsAgain(TransactionMode.READ_WRITE_IDEMPOTENT,
                new ClusterUnavailableException("no leader", null))).as("08001 after failoverTimeout").isFalse();
        assertThat(runsAgain(TransactionMode.READ_WRITE_IDEMPOTENT, new SQLException("closed", "08003")))
                .isFalse();
    }
}
