package io.pgcluster.jdbc.source;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.connect.ServerConnector;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Creates the {@link TopologySource} a configuration asks for.
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
public final class TopologySources {
    private TopologySources() {
    }

    /**
     * @param executor the cluster's topology thread, for polls, checks and reconnects
     */
    public static TopologySource create(PgClusterConfig config, ServerConnector connector,
            ScheduledExecutorService executor) {
        String name = config.name();
        switch (config.source()) {
            case ETCD:
                return new EtcdSource(name, config.servers(), config.namespace(), config.scope(),
                        new EtcdSource.Security(config.dcsTls(), config.dcsCaFile(), config.dcsCertFile(),
                                config.dcsKeyFile(), config.dcsUser(), config.dcsPassword()),
                        config.allowedHostList(), config.dcsTimeout(), config.pollInterval(), executor);
            case ZOOKEEPER:
                return new ZooKeeperSource(name, config.servers(), config.namespace(), config.scope(),
                        config.dcsUser(), config.dcsPassword(),
                        config.dcsTls() ? new ZooKeeperTls(config.dcsCaFile(), config.dcsCertFile(),
                                config.dcsKeyFile()) : null,
                        config.allowedHostList(), config.dcsTimeout(), config.pollInterval(), executor);
            case PATRONI:
                return new PatroniRestSource(name, config.servers(), RestClient.of(config),
                        config.allowedHostList(), config.dcsTimeout(),
                        config.pollInterval(), executor);
            case HOSTS:
                return new HostsSource(name, config.servers(), connector, config.dcsTimeout(), config.pollInterval(),
                        executor);
            case ENDPOINTS:
                return new EndpointsSource(name, config.servers().get(0), config.readEndpoint());
            default:
                throw new AssertionError(config.source());
        }
    }
}
