package io.pgcluster.jdbc.internal.metrics;

import io.pgcluster.jdbc.topology.Member;

/**
 * A running pool as {@link ClusterMetricsHub} needs it: the member and access it serves, its counts, and where
 * the pool's own timings go. Implemented by the routing package's pools, so that the hub can speak to observers
 * in terms of members and access without depending on the pools; observers never see it.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public interface ObservedPool extends ConnectionCounts {

    /** The member this pool connects to. */
    Member member();

    /** What the pool's connections are used for. */
    Access access();

    /** Sends the pool's own measurements to {@code timings} from now on (replacing a no-op); called at most once. */
    void timeWith(ConnectionTimings timings);
}
