package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfig.Source;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Creates the {@link TopologySource} a configuration asks for.
 *
 * <p>{@link Source} knows everything about a source that configuration needs; how to create one lives here, as a
 * factory per constant, so that {@code config} does not depend on this package and its transports (etcd, ZooKeeper,
 * HTTP). The table is checked to be complete when the class loads: a new constant without a factory fails at once.
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
public final class TopologySources {
    /** Creates one kind of source from the configuration, the connector and the cluster's topology thread. */
    private interface Factory {
        TopologySource create(PgClusterConfig config, ServerConnector connector, ScheduledExecutorService executor);
    }

    private static final Map<Source, Factory> FACTORIES = new EnumMap<>(Source.class);

    static {
        FACTORIES.put(Source.ETCD, (config, connector, executor) -> new EtcdSource(config.name(), config.servers(),
                config.namespace(), config.scope(),
                new EtcdSource.Security(config.dcsTls(), config.dcsCaFile(), config.dcsCertFile(),
                        config.dcsKeyFile(), config.dcsUser(), config.dcsPassword()),
                config.allowedHostList(), config.dcsTimeout(), config.pollInterval(), executor));
        FACTORIES.put(Source.ZOOKEEPER, (config, connector, executor) -> new ZooKeeperSource(config.name(),
                config.servers(), config.namespace(), config.scope(), config.dcsUser(), config.dcsPassword(),
                config.dcsTls() ? new ZooKeeperTls(config.dcsCaFile(), config.dcsCertFile(), config.dcsKeyFile())
                        : null,
                config.allowedHostList(), config.dcsTimeout(), config.pollInterval(), executor));
        FACTORIES.put(Source.CONSUL, (config, connector, executor) -> new ConsulSource(config.name(),
                config.servers(), config.namespace(), config.scope(), config.dcsToken(), RestClient.of(config),
                RestClient.of(config), config.allowedHostList(), config.dcsTimeout(), config.pollInterval(),
                ConsulSource.WAIT, executor));
        FACTORIES.put(Source.PATRONI, (config, connector, executor) -> new PatroniRestSource(config.name(),
                config.servers(), RestClient.of(config), config.allowedHostList(), config.dcsTimeout(),
                config.pollInterval(), executor));
        FACTORIES.put(Source.HOSTS, (config, connector, executor) -> new HostsSource(config.name(), config.servers(),
                connector, config.dcsTimeout(), config.pollInterval(), executor));
        FACTORIES.put(Source.ENDPOINTS, (config, connector, executor) -> new EndpointsSource(config.name(),
                config.servers().get(0), config.readEndpoint()));
        if (FACTORIES.size() != Source.values().length) {
            throw new AssertionError("a topology source without factory: " + FACTORIES.keySet());
        }
    }

    private TopologySources() {
    }

    /**
     * @param executor the cluster's topology thread, for polls, checks and reconnects
     */
    public static TopologySource create(PgClusterConfig config, ServerConnector connector,
            ScheduledExecutorService executor) {
        return FACTORIES.get(config.source()).create(config, connector, executor);
    }
}
