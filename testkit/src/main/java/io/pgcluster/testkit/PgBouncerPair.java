package io.pgcluster.testkit;

/**
 * Two PgBouncers in session pooling mode, as in the production layout: the write one forwards to HAProxy's write port
 * (so to the primary), the read one to HAProxy's read port (so to a replica). Clients authenticate with SCRAM as
 * {@link PatroniCluster#user()} or {@link PatroniCluster#superuser()}; any database name is passed through.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * try (Connection c = DriverManager.getConnection(
 *     cluster.jdbcUrl("127.0.0.1", cluster.pgBouncers().writePort()), cluster.user(), cluster.password())) {
 *   ...
 * }
 * }</pre>
 */
public final class PgBouncerPair {
    private final int writePort;
    private final int readPort;
    private final ManagedProcess write;
    private final ManagedProcess read;

    PgBouncerPair(int writePort, int readPort, ManagedProcess write, ManagedProcess read) {
        this.writePort = writePort;
        this.readPort = readPort;
        this.write = write;
        this.read = read;
    }

    /**
     * The write PgBouncer's port on 127.0.0.1 (client -> PgBouncer -> HAProxy write port -> primary).
     *
     * @return the port
     */
    public int writePort() {
        return writePort;
    }

    /**
     * The read PgBouncer's port on 127.0.0.1 (client -> PgBouncer -> HAProxy read port -> a replica).
     *
     * @return the port
     */
    public int readPort() {
        return readPort;
    }

    ManagedProcess writeProcess() {
        return write;
    }

    ManagedProcess readProcess() {
        return read;
    }

    @Override
    public String toString() {
        return "PgBouncers[write=" + writePort + ", read=" + readPort + "]";
    }
}
