package io.pgcluster.jdbc.topology;


/**
 * Receives every new snapshot of a cluster's topology, as {@code PgClusterDataSource} publishes it.
 *
 * <p>Called on the topology thread, in registration order, one snapshot at a time; implementations must be quick
 * and must not block on the network.
 */
@FunctionalInterface
public interface TopologyListener {

    /**
     * @param previous the snapshot replaced (never {@code null}; possibly not {@link Topology#isKnown() known})
     * @param current the new snapshot
     */
    void onTopology(Topology previous, Topology current);
}
