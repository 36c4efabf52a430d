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
 * @param autoCommit a read sent as an auto-commit statement without the read-only flag (as Hibernate sends the
 *     finders Spring Data runs without a transaction); else a write, or a read-only transaction
 * @param stale a read of the row its own thread had just written that did not find it
 */
record Op(boolean write, long startNanos, long endNanos, String sqlState, int port, boolean inRecovery,
        boolean autoCommit, boolean stale) {

    boolean ok() {
        return sqlState == null;
    }

    /** A successful read that ran on a primary. */
    boolean readOnPrimary() {
        return !write && ok() && !inRecovery;
    }

    /**
     * A successful read in a read-only transaction that ran on a primary: one every approach sends to a replica
     * port or pool, so that it says the approach has not settled on the new topology yet. (An auto-commit read on
     * the primary is where an application with one data source sends it, with pgjdbc and HAProxy always.)
     */
    boolean readOnlyOnPrimary() {
        return readOnPrimary() && !autoCommit;
    }

    static Op success(boolean write, long start, long end, int port, boolean inRecovery) {
        return new Op(write, start, end, null, port, inRecovery, false, false);
    }

    static Op failure(boolean write, long start, long end, String sqlState) {
        return new Op(write, start, end, sqlState, 0, false, false, false);
    }

    /** A successful auto-commit read; {@code stale} when it looked for its thread's own row and missed it. */
    static Op autoCommitRead(long start, long end, int port, boolean inRecovery, boolean stale) {
        return new Op(false, start, end, null, port, inRecovery, true, stale);
    }

    /** A failed auto-commit read. */
    static Op autoCommitReadFailure(long start, long end, String sqlState) {
        return new Op(false, start, end, sqlState, 0, false, true, false);
    }
}
