package io.pgcluster.jdbc.internal.failover;

import io.pgcluster.jdbc.failover.SqlStates;
import java.sql.SQLTransientConnectionException;

/**
 * pgcluster gave up finding a server for this work: no leader within {@code failoverTimeout}, no replica for a
 * read with {@code readFallback=fail}, or a topology still unknown. Nothing was sent. SQLState {@code 08001}.
 *
 * <p>The message names the cluster, the scope, the last known leader, how long it waited and what the members
 * looked like. {@code PgClusterDataSource.inTransaction} does not run work again after this exception: it already
 * waited as long as it was configured to.
 *
 * <p>Thread-safety: immutable.
 */
public final class ClusterUnavailableException extends SQLTransientConnectionException {
    private static final long serialVersionUID = 1L;

    public ClusterUnavailableException(String message, Throwable cause) {
        super(message, SqlStates.UNABLE_TO_CONNECT, cause);
    }
}
