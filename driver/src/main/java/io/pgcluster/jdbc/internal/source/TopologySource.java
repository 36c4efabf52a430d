package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.topology.ClusterView;

/**
 * Follows a cluster's topology and publishes it into a {@link ClusterView}.
 *
 * <p>Implementations: Patroni's keys in etcd or ZooKeeper (watched), Patroni's REST API (polled), PostgreSQL hosts
 * (probed), and fixed write/read endpoints. Create one with {@link TopologySources#create}.
 *
 * <p>A source never throws into its caller after {@link #start}: when it cannot reach what it follows it calls
 * {@link ClusterView#sourceUnreachable(String)}, keeps trying, and publishes again once it can.
 *
 * <p>Thread-safety: {@link #refresh()} and {@link #close()} may be called from any thread.
 */
public interface TopologySource extends AutoCloseable {

    /** Starts following the cluster; returns at once. The first snapshot follows as soon as it is read. */
    void start(ClusterView view);

    /** Asks the source to look again now (a connection failure hints at a change); returns at once. */
    void refresh();

    /** What this source follows, for logs and health output (no secrets). */
    String describe();

    /** Stops following and releases the source's resources; idempotent. */
    @Override
    void close();
}
