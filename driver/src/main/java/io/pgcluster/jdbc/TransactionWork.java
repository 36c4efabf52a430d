package io.pgcluster.jdbc;

import io.pgcluster.jdbc.internal.failover.TransactionRunner;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A unit of work run inside one transaction by {@link PgClusterDataSource#inTransaction}. It may run more than
 * once (see {@link TransactionMode}), so it should have no effects outside the database that a second run would
 * repeat.
 *
 * @param <T> the result
 *
 * <p>Thread-safety: called on the caller's thread, once per attempt; an implementation may run more than once (see {@link TransactionMode}).
 */
@FunctionalInterface
public interface TransactionWork<T> extends TransactionRunner.Work<T> {

    /**
     * @param connection a connection in a transaction (auto-commit off); do not commit, close or change its
     *     read-only flag: the runner does
     */
    @Override
    T execute(Connection connection) throws SQLException;
}
