package io.pgcluster.testkit;

import java.util.Objects;

/**
 * The immutable settings of one cluster. Also the key under which {@link PatroniClusterExtension} shares clusters:
 * equal specs share one cluster.
 */
final class ClusterSpec {
    final int nodes;
    final String scope;
    final String namespace;
    final int ttl;
    final int loopWait;
    final int retryTimeout;
    final boolean haProxy;
    final HaProxyChecks haProxyChecks;
    final boolean pgBouncer;
    final boolean faultProxies;
    final boolean synchronousMode;
    final long replicaMaxLagBytes;
    final int startTimeoutSeconds;
    final Dcs dcs;
    final RestSecurity rest;

    ClusterSpec(int nodes, String scope, String namespace, int ttl, int loopWait, int retryTimeout, boolean haProxy,
            HaProxyChecks haProxyChecks, boolean pgBouncer, boolean faultProxies, boolean synchronousMode,
            long replicaMaxLagBytes, int startTimeoutSeconds, Dcs dcs) {
        this(nodes, scope, namespace, ttl, loopWait, retryTimeout, haProxy, haProxyChecks, pgBouncer, faultProxies,
                synchronousMode, replicaMaxLagBytes, startTimeoutSeconds, dcs, RestSecurity.NONE);
    }

    ClusterSpec(int nodes, String scope, String namespace, int ttl, int loopWait, int retryTimeout, boolean haProxy,
            HaProxyChecks haProxyChecks, boolean pgBouncer, boolean faultProxies, boolean synchronousMode,
            long replicaMaxLagBytes, int startTimeoutSeconds, Dcs dcs, RestSecurity rest) {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be 1..9 but was " + nodes);
        }
        if (scope == null || !scope.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("scope must match [A-Za-z0-9][A-Za-z0-9_.-]* but was '" + scope + "'");
        }
        if (namespace == null || !namespace.matches("/[A-Za-z0-9_./-]*")) {
            throw new IllegalArgumentException("namespace must start with '/' (e.g. /service) but was '" + namespace + "'");
        }
        if (loopWait < 1 || retryTimeout < 1 || ttl < 1) {
            throw new IllegalArgumentException(String.format(
                    "ttl, loop_wait and retry_timeout must be >= 1 s but were %d, %d, %d", ttl, loopWait, retryTimeout));
        }
        if (ttl < loopWait + 2 * retryTimeout) {
            throw new IllegalArgumentException(String.format("ttl (%d) must be >= loop_wait + 2 * retry_timeout (%d + 2 * %d"
                    + " = %d), or the leader can lose its lock in normal operation", ttl, loopWait, retryTimeout,
                    loopWait + 2 * retryTimeout));
        }
        if (replicaMaxLagBytes < 0) {
            throw new IllegalArgumentException("replica max lag must be >= 0 but was " + replicaMaxLagBytes);
        }
        if (startTimeoutSeconds < 1) {
            throw new IllegalArgumentException("start timeout must be >= 1 s but was " + startTimeoutSeconds);
        }
        this.nodes = nodes;
        this.scope = scope;
        this.namespace = namespace;
        this.ttl = ttl;
        this.loopWait = loopWait;
        this.retryTimeout = retryTimeout;
        this.haProxy = haProxy || pgBouncer;
        this.haProxyChecks = Objects.requireNonNull(haProxyChecks, "haProxyChecks");
        this.pgBouncer = pgBouncer;
        this.faultProxies = faultProxies;
        this.synchronousMode = synchronousMode;
        this.replicaMaxLagBytes = replicaMaxLagBytes;
        this.startTimeoutSeconds = startTimeoutSeconds;
        this.dcs = Objects.requireNonNull(dcs, "dcs");
        this.rest = Objects.requireNonNull(rest, "rest");
    }

    static ClusterSpec of(ClusterConfig c) {
        return new ClusterSpec(c.nodes(), c.scope(), PatroniCluster.DEFAULT_NAMESPACE, c.ttl(), c.loopWait(),
                c.retryTimeout(), c.haProxy(), c.haProxyChecks(), c.pgBouncer(), c.faultProxies(), c.synchronousMode(),
                PatroniCluster.DEFAULT_REPLICA_MAX_LAG, PatroniCluster.DEFAULT_START_TIMEOUT_SECONDS, c.dcs(),
                new RestSecurity(c.restTls(), c.restVerifyClient(), c.restAuth() ? RestSecurity.GENERATED_USER : null,
                        null));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ClusterSpec)) {
            return false;
        }
        ClusterSpec s = (ClusterSpec) o;
        return nodes == s.nodes && ttl == s.ttl && loopWait == s.loopWait && retryTimeout == s.retryTimeout
                && haProxy == s.haProxy && pgBouncer == s.pgBouncer && faultProxies == s.faultProxies
                && synchronousMode == s.synchronousMode && replicaMaxLagBytes == s.replicaMaxLagBytes
                && startTimeoutSeconds == s.startTimeoutSeconds && scope.equals(s.scope) && namespace.equals(s.namespace)
                && haProxyChecks == s.haProxyChecks && dcs == s.dcs && rest.equals(s.rest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nodes, scope, namespace, ttl, loopWait, retryTimeout, haProxy, haProxyChecks, pgBouncer,
                faultProxies, synchronousMode, replicaMaxLagBytes, startTimeoutSeconds, dcs, rest);
    }

    @Override
    public String toString() {
        return String.format("%d node(s), scope %s, %s, ttl/loop_wait/retry_timeout %d/%d/%d%s%s%s%s%s", nodes, scope,
                dcs == Dcs.ZOOKEEPER ? "ZooKeeper" : "etcd", ttl, loopWait, retryTimeout, haProxy ? ", HAProxy (" + haProxyChecks.serverOptions() + ")" : "",
                pgBouncer ? ", PgBouncer" : "", faultProxies ? ", fault proxies" : "",
                synchronousMode ? ", synchronous_mode" : "", rest);
    }
}
