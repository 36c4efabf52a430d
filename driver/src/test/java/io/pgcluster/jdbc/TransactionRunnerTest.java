package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Retry settings at the edges of what the catalog allows, on a data source that never needs a server. */
class TransactionRunnerTest {

    private static PgClusterDataSource dataSource(String initialBackoff, String maxBackoff) {
        PgClusterConfig config = PgClusterConfig.builder().endpoints("127.0.0.1:1", "127.0.0.1:2").name("retry")
                .database("db").user("app").password("secret").set("minIdle", "0")
                .set("retryMaxAttempts", "3").set("retryInitialBackoff", initialBackoff)
                .set("retryMaxBackoff", maxBackoff).build();
        return new PgClusterDataSource(config);
    }

    @Test
    void zeroBackoffRetriesWithoutPausing() {
        AtomicInteger attempts = new AtomicInteger();
        try (PgClusterDataSource ds = dataSource("0", "0")) {
            assertThatThrownBy(() -> ds.inTransaction(TransactionMode.READ_ONLY, c -> {
                attempts.incrementAndGet();
                throw new SQLException("could not serialize access (simulated)", "40001");
            })).isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo("40001");
        }
        assertThat(attempts).hasValue(3);
    }

    @Test
    void aRetryableFailureThenSuccessReturnsTheResult() throws SQLException {
        AtomicInteger attempts = new AtomicInteger();
        try (PgClusterDataSource ds = dataSource("0", "1ms")) {
            String result = ds.inTransaction(TransactionMode.READ_ONLY, c -> {
                if (attempts.incrementAndGet() == 1) {
                    throw new SQLException("deadlock detected (simulated)", "40P01");
                }
                return "done";
            });
            assertThat(result).isEqualTo("done");
        }
        assertThat(attempts).hasValue(2);
    }

    @Test
    void anInterruptedCallerGetsTheFailureAtOnceWithItsInterruptKept() {
        AtomicInteger attempts = new AtomicInteger();
        try (PgClusterDataSource ds = dataSource("10s", "10s")) {
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> ds.inTransaction(TransactionMode.READ_ONLY, c -> {
                    attempts.incrementAndGet();
                    throw new SQLException("could not serialize access (simulated)", "40001");
                })).isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getSQLState())
                        .isEqualTo("40001");
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            } finally {
                Thread.interrupted();
            }
        }
        assertThat(attempts).as("no further attempt").hasValue(1);
    }
}
