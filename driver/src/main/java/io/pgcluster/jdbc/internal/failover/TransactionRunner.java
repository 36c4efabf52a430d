package io.pgcluster.jdbc.internal.failover;

import io.pgcluster.jdbc.failover.SqlStates;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
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
 * <p>Whether work may run again is the caller's to say ({@code TransactionMode.isRetryable()}): read-only work and
 * work declared idempotent may; plain read-write work runs once. Retryable: connection failures (08xxx, 57P01-57P03), 40001 and 40P01. An interrupted caller gets the
 * failure at once, with its interrupt flag kept: no backoff sleep and no further attempt.
 *
 * <p>Thread-safety: safe for concurrent use; one instance per data source.
 */
public final class TransactionRunner {
    private static final Logger log = LoggerFactory.getLogger(TransactionRunner.class);

    private final DataSource dataSource;
    private final ClusterMetricsHub metrics;
    private final Retry readOnly;
    private final Retry idempotent;
    private final long maxDurationNanos;

    /**
     * A unit of work run inside one transaction; {@code TransactionWork} is the public form of it.
     *
     * @param <T> the result
     */
    @FunctionalInterface
    public interface Work<T> {
        /** Runs on {@code connection}, in a transaction (auto-commit off). */
        T execute(Connection connection) throws SQLException;
    }

    public TransactionRunner(String name, PgClusterConfig config, DataSource dataSource, ClusterMetricsHub metrics) {
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

    /**
     * Runs {@code work} in a transaction, and again after a retryable failure while {@code retryable}, attempts
     * remain and the deadline ({@code retryMaxDuration} from now, computed once here) has not passed.
     *
     * @param mode names the mode in logs; {@code null} is refused like a {@code null} unit of work
     */
    public <T> T run(Object mode, boolean readOnly, boolean retryable, Work<T> work) throws SQLException {
        if (mode == null || work == null) {
            throw new SQLException("pgcluster: inTransaction needs a mode and a unit of work",
                    SqlStates.INVALID_PARAMETER);
        }
        if (!retryable) {
            return once(readOnly, work);
        }
        long deadlineNanos = Deadline.after(maxDurationNanos);
        Retry.Context<T> ctx = null; // made at the first failure: nothing allocated for the usual first success
        while (true) {
            try {
                T result = once(readOnly, work);
                if (ctx != null) {
                    ctx.onComplete();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                if (Deadline.passed(deadlineNanos) || Thread.currentThread().isInterrupted()) {
                    throw e; // an interrupted caller wants to stop: no backoff, no further attempt
                }
                if (ctx == null) {
                    ctx = (readOnly ? this.readOnly : idempotent).context();
                }
                try {
                    ctx.onError(e);
                } catch (SQLException | RuntimeException last) {
                    throw last;
                } catch (Exception other) {
                    throw new SQLException(other.getMessage(), other);
                }
                String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
                metrics.retry(readOnly, state);
                log.debug("pgcluster: {} transaction failed ({}: {}); running it again", mode, state, e.getMessage());
                if (Deadline.passed(deadlineNanos)) {
                    throw e;
                }
            }
        }
    }

    private <T> T once(boolean readOnly, Work<T> work) throws SQLException {
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
