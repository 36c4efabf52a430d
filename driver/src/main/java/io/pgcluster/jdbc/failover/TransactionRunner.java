package io.pgcluster.jdbc;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.metrics.ClusterMetrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work in transactions and runs them again after retryable failures, with resilience4j's
 * {@link Retry}: exponential backoff from {@code retryInitialBackoff} to {@code retryMaxBackoff}, at most
 * {@code retryMaxAttempts} attempts, and no attempt started after {@code retryMaxDuration}.
 *
 * <p>Read-only work is always eligible; read-write work only when declared idempotent; plain read-write work
 * runs once. Retryable: connection failures (08xxx, 57P01-57P03), 40001 and 40P01. An interrupted caller gets the
 * failure at once, with its interrupt flag kept: no backoff sleep and no further attempt.
 *
 * <p>Thread-safety: safe for concurrent use; one instance per data source.
 */
final class TransactionRunner {
    private static final Logger log = LoggerFactory.getLogger(TransactionRunner.class);

    private final DataSource dataSource;
    private final ClusterMetrics metrics;
    private final Retry readOnly;
    private final Retry idempotent;
    private final long maxDurationNanos;

    TransactionRunner(String name, PgClusterConfig config, DataSource dataSource, ClusterMetrics metrics) {
        this.dataSource = dataSource;
        this.metrics = metrics;
        RetryConfig rc = RetryConfig.custom()
                .maxAttempts(config.retryMaxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialBackoff(atLeastOneMilli(config.retryInitialBackoff()),
                        2.0, atLeastOneMilli(config.retryMaxBackoff())))
                .retryOnException(Failures::isRetryable)
                .build();
        this.readOnly = Retry.of("pgcluster-" + name + "-read-only", rc);
        this.idempotent = Retry.of("pgcluster-" + name + "-idempotent", rc);
        this.maxDurationNanos = config.retryMaxDuration().toNanos();
    }

    /** The catalog allows 0 (no pause); resilience4j refuses intervals under 1 ms, the nearest it can do. */
    private static Duration atLeastOneMilli(Duration d) {
        return d.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : d;
    }

    <T> T run(TransactionMode mode, TransactionWork<T> work) throws SQLException {
        if (mode == null || work == null) {
            throw new SQLException("pgcluster: inTransaction needs a mode and a unit of work",
                    SqlStates.INVALID_PARAMETER);
        }
        if (mode == TransactionMode.READ_WRITE) {
            return once(false, work);
        }
        long deadline = System.nanoTime() + maxDurationNanos;
        boolean ro = mode == TransactionMode.READ_ONLY;
        Retry.Context<T> ctx = null; // made at the first failure: nothing allocated for the usual first success
        while (true) {
            try {
                T result = once(ro, work);
                if (ctx != null) {
                    ctx.onComplete();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                if (System.nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted()) {
                    throw e; // an interrupted caller wants to stop: no backoff, no further attempt
                }
                if (ctx == null) {
                    ctx = (ro ? readOnly : idempotent).context();
                }
                try {
                    ctx.onError(e);
                } catch (SQLException | RuntimeException last) {
                    throw last;
                } catch (Exception other) {
                    throw new SQLException(other.getMessage(), other);
                }
                String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
                metrics.retry(ro, state);
                log.debug("pgcluster: {} transaction failed ({}: {}); running it again", mode, state, e.getMessage());
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
            }
        }
    }

    private <T> T once(boolean readOnly, TransactionWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(readOnly);
            c.setAutoCommit(false);
            T result;
            try {
                result = work.execute(c);
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c, e);
                throw e;
            }
            c.commit();
            return result;
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
