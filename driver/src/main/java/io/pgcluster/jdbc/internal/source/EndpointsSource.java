package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.util.Map;

/**
 * A fixed topology of one write address and one read address, such as HAProxy's or Envoy's write (5432) and
 * read (5433) ports: discovery is left to the proxy, while pools, routing by the read-only flag, the primary
 * check of write connections and retries still apply.
 *
 * <p>The members are named {@code write} and {@code read}.
 *
 * <p>Thread-safety: immutable after construction.
 */
final class EndpointsSource implements TopologySource {
    static final String WRITE = "write";
    static final String READ = "read";

    private final String cluster;
    private final HostAndPort write;
    private final HostAndPort read;

    EndpointsSource(String cluster, HostAndPort write, HostAndPort read) {
        this.cluster = cluster;
        this.write = write;
        this.read = read;
    }

    @Override
    public void start(ClusterView view) {
        view.publish(Topology.builder(cluster)
                .member(new Member(WRITE, write.host(), write.port(), Role.PRIMARY, "running", -1, -1, 0, Map.of(),
                        null))
                .member(new Member(READ, read.host(), read.port(), Role.REPLICA, "running", -1, -1, 0, Map.of(),
                        null))
                .leader(WRITE)
                .build());
    }

    @Override
    public void refresh() {
        // nothing to look at: the proxy follows the cluster
    }

    @Override
    public String describe() {
        return "endpoints write " + write + ", read " + read;
    }

    @Override
    public void close() {
        // holds nothing
    }
}
