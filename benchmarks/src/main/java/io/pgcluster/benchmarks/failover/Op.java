package io.pgcluster.benchmarks.failover;

/**
 * One operation of the load, as the client saw it.
 *
 * @param write a write (else a read)
 * @param startNanos {@link System#nanoTime()} when it started
 * @param endNanos when it returned or failed
 * @param sqlState {@code null} when it succeeded; else the SQLState of the failure, or the exception's class name
 *     when it was not an {@link java.sql.SQLException} or had no SQLState
 * @param port {@code inet_server_port()} of the server that ran it (0 when it failed)
 * @param inRecovery {@code pg_is_in_recovery()} on that server: true on a replica
 */
record Op(boolean write, long startNanos, long endNanos, String sqlState, int port, boolean inRecovery) {

    boolean ok() {
        return sqlState == null;
    }

    /** A successful read that ran on a primary. */
    boolean readOnPrimary() {
        return !write && ok() && !inRecovery;
    }

    static Op success(boolean write, long start, long end, int port, boolean inRecovery) {
        return new Op(write, start, end, null, port, inRecovery);
    }

    static Op failure(boolean write, long start, long end, String sqlState) {
        return new Op(write, start, end, sqlState, 0, false);
    }
}
