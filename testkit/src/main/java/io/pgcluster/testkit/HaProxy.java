package io.pgcluster.testkit;

/**
 * The HAProxy in front of the cluster, as in Patroni's reference setup: the write port forwards to the node whose
 * REST {@code GET /primary} answers 200, the read port round-robins over the nodes whose {@code GET
 * /replica?lag=<max>} answers 200 (so replicas lagging more than the limit are dropped). Connections to a node that
 * is marked down are cut ({@code on-marked-down shutdown-sessions}). Check timing: {@link HaProxyChecks}.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * String writeUrl = cluster.jdbcUrl("127.0.0.1", cluster.haProxy().writePort());
 * String readUrl = cluster.jdbcUrl("127.0.0.1", cluster.haProxy().readPort());
 * }</pre>
 */
public final class HaProxy {
    private final int writePort;
    private final int readPort;
    private final int statsPort;
    private final ManagedProcess process;

    HaProxy(int writePort, int readPort, int statsPort, ManagedProcess process) {
        this.writePort = writePort;
        this.readPort = readPort;
        this.statsPort = statsPort;
        this.process = process;
    }

    /**
     * The port on 127.0.0.1 that leads to the primary.
     *
     * @return the write port
     */
    public int writePort() {
        return writePort;
    }

    /**
     * The port on 127.0.0.1 that leads to a streaming replica.
     *
     * @return the read port
     */
    public int readPort() {
        return readPort;
    }

    /**
     * HAProxy's statistics page, {@code http://127.0.0.1:<statsPort>/}, handy when poking at the rig by hand.
     *
     * @return the stats port
     */
    public int statsPort() {
        return statsPort;
    }

    ManagedProcess process() {
        return process;
    }

    @Override
    public String toString() {
        return "HAProxy[write=" + writePort + ", read=" + readPort + ", stats=" + statsPort + "]";
    }
}
