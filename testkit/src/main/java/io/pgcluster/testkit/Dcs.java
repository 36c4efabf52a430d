package io.pgcluster.testkit;

/**
 * The DCS that a rig cluster's Patroni nodes use. Only one runs per cluster; everything else (nodes, HAProxy,
 * PgBouncer, fault proxies in front of the nodes) is the same for both.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum Dcs {
    /** A single-member etcd 3.4 (v3 API), Patroni's {@code etcd3:} section. The default. */
    ETCD,
    /**
     * A standalone ZooKeeper 3.8 (Debian's {@code zookeeper} package), Patroni's {@code zookeeper:} section, which
     * needs {@code python3-kazoo}. Patroni keeps the leader and member keys as ephemeral znodes of its session.
     */
    ZOOKEEPER,
    /**
     * A Consul 1.8 agent in dev mode (a single server that elects itself; its state lives in memory, so a restart
     * starts from an empty KV store and a low index), Patroni's {@code consul:} section, which needs
     * {@code python3-consul}. Patroni's keys have no leading slash ({@code service/<scope>/leader}) and the leader and
     * member keys are bound to Patroni's Consul session.
     */
    CONSUL
}
