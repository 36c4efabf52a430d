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
    final boolean poolerPerNode; // a PgBouncer next to each node, published as proxy_url
    final boolean faultProxies;
    final boolean synchronousMode;
    final long replicaMaxLagBytes;
    final int startTimeoutSeconds;
    final Dcs dcs;
    /** PostgreSQL with ssl=on and a certificate per node from a throw-away CA (SAN 127.0.0.1 and localhost). */
    final boolean postgresTls;
    final boolean etcdTls; // etcd serves https with client certificates (see EtcdSecurity)
    final boolean etcdAuth; // etcd's authentication enabled, with users for Patroni and clients
    /** ZooKeeper listens with TLS only (secure client port); Patroni uses a client certificate. */
    final boolean zooKeeperTls;
    /** A ZooKeeper digest user that may read Patroni's znodes, which nobody else may; both null without. */
    final String zooKeeperUser;
    final String zooKeeperPassword;
    final RestSecurity rest;
    /** Consul (with {@link Dcs#CONSUL}) with ACLs enabled, default deny, tokens for Patroni and for clients. */
    final boolean consulAcl;
    /** Consul (with {@link Dcs#CONSUL}) serves https only, with a certificate of a CA made for the cluster. */
    final boolean consulTls;
    /** Patroni's major version: 3 (Debian 12's 3.0.2) or 4 (Debian 13's 4.0.x, unpacked by scripts/setup.sh). */
    final int patroniVersion;
    /** Exporters and Prometheus ({@link Monitoring}); implies PgBouncer and the local WAL archive. */
    final boolean monitoring;
    /** archive_mode on, archiving to {@code <baseDir>/wal-archive}. */
    final boolean localWalArchive;

    /** Only through {@link PatroniClusterBuilder#spec()} (or {@link #of(ClusterConfig)}, which uses the builder). */
    private ClusterSpec(PatroniClusterBuilder b) {
        int nodes = b.nodes;
        String scope = b.scope;
        String namespace = b.namespace;
        int ttl = b.ttl;
        int loopWait = b.loopWait;
        int retryTimeout = b.retryTimeout;
        long replicaMaxLagBytes = b.replicaMaxLagBytes;
        int startTimeoutSeconds = (int) Math.max(1, b.startTimeout.toSeconds());
        Dcs dcs = b.dcs;
        boolean zooKeeperTls = b.zooKeeperTls;
        String zooKeeperUser = b.zooKeeperUser;
        String zooKeeperPassword = b.zooKeeperPassword;
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
        this.nodes = nodes;
        this.scope = scope;
        this.namespace = namespace;
        this.ttl = ttl;
        this.loopWait = loopWait;
        this.retryTimeout = retryTimeout;
        this.haProxy = b.haProxy || b.pgBouncer || b.monitoring;
        this.haProxyChecks = Objects.requireNonNull(b.haProxyChecks, "haProxyChecks");
        this.pgBouncer = b.pgBouncer || b.monitoring;
        this.poolerPerNode = b.poolerPerNode;
        this.monitoring = b.monitoring;
        this.localWalArchive = b.localWalArchive || b.monitoring;
        this.faultProxies = b.faultProxies;
        this.synchronousMode = b.synchronousMode;
        this.replicaMaxLagBytes = replicaMaxLagBytes;
        this.startTimeoutSeconds = startTimeoutSeconds;
        this.dcs = Objects.requireNonNull(dcs, "dcs");
        if ((zooKeeperTls || zooKeeperUser != null) && dcs != Dcs.ZOOKEEPER) {
            throw new IllegalArgumentException("zooKeeperTls and zooKeeperAuth need dcs(Dcs.ZOOKEEPER)");
        }
        if (zooKeeperUser != null && (zooKeeperUser.isEmpty() || zooKeeperUser.contains(":")
                || zooKeeperPassword == null || zooKeeperPassword.isEmpty())) {
            throw new IllegalArgumentException("zooKeeperAuth needs a user without ':' and a non-empty password");
        }
        if (zooKeeperUser != null && !zooKeeperTls) {
            // Patroni (3.0.2, and its master as of 2026) cannot log in with a digest user: its set_acls writes x509
            // ACLs only, so Patroni's znodes can be closed to others only when Patroni has a client certificate.
            throw new IllegalArgumentException("zooKeeperAuth needs zooKeeperTls(true): Patroni protects its znodes "
                    + "only with x509 ACLs (set_acls), i.e. with a TLS client certificate");
        }
        this.zooKeeperTls = zooKeeperTls;
        this.zooKeeperUser = zooKeeperUser;
        this.zooKeeperPassword = zooKeeperPassword;
        if ((b.etcdTls || b.etcdAuth) && dcs != Dcs.ETCD) {
            throw new IllegalArgumentException("etcdTls and etcdAuth need dcs ETCD but dcs is " + dcs);
        }
        if ((b.consulAcl || b.consulTls) && dcs != Dcs.CONSUL) {
            throw new IllegalArgumentException("consulAcl and consulTls need dcs CONSUL but dcs is " + dcs);
        }
        this.consulAcl = b.consulAcl;
        this.consulTls = b.consulTls;
        int version = b.patroniVersion == 0 ? Setting.PATRONI_VERSION.patroniVersion() : b.patroniVersion;
        if (version != 3 && version != 4) {
            throw new IllegalArgumentException("patroniVersion must be 3 or 4 but was " + version);
        }
        this.patroniVersion = version;
        this.postgresTls = b.postgresTls;
        this.etcdTls = b.etcdTls;
        this.etcdAuth = b.etcdAuth;
        this.rest = new RestSecurity(b.restTls, b.restVerifyClient, b.restUser, b.restPassword);
    }

    static ClusterSpec of(PatroniClusterBuilder b) {
        return new ClusterSpec(b);
    }

    /** The spec a {@link ClusterConfig} annotation asks for; the builder's defaults for all it does not name. */
    static ClusterSpec of(ClusterConfig c) {
        return PatroniCluster.builder().nodes(c.nodes()).scope(c.scope()).timing(c.ttl(), c.loopWait(),
                c.retryTimeout()).withHaProxy(c.haProxy()).haProxyChecks(c.haProxyChecks()).withPgBouncer(c.pgBouncer())
                .poolerPerNode(c.poolerPerNode())
                .withFaultProxies(c.faultProxies()).synchronousMode(c.synchronousMode()).dcs(c.dcs())
                .postgresTls(c.postgresTls()).restTls(c.restTls()).restVerifyClient(c.restVerifyClient())
                .restAuth(c.restAuth() ? RestSecurity.GENERATED_USER : null, null)
                .etcdTls(c.etcdTls()).etcdAuth(c.etcdAuth()).consulAcl(c.consulAcl()).consulTls(c.consulTls())
                .patroniVersion(c.patroniVersion()).spec();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ClusterSpec)) {
            return false;
        }
        ClusterSpec s = (ClusterSpec) o;
        return nodes == s.nodes && ttl == s.ttl && loopWait == s.loopWait && retryTimeout == s.retryTimeout
                && haProxy == s.haProxy && pgBouncer == s.pgBouncer && poolerPerNode == s.poolerPerNode && faultProxies == s.faultProxies
                && synchronousMode == s.synchronousMode && replicaMaxLagBytes == s.replicaMaxLagBytes
                && startTimeoutSeconds == s.startTimeoutSeconds && scope.equals(s.scope) && namespace.equals(s.namespace)
                && haProxyChecks == s.haProxyChecks && dcs == s.dcs && zooKeeperTls == s.zooKeeperTls
                && Objects.equals(zooKeeperUser, s.zooKeeperUser)
                && Objects.equals(zooKeeperPassword, s.zooKeeperPassword) && postgresTls == s.postgresTls
                && etcdTls == s.etcdTls && etcdAuth == s.etcdAuth && consulAcl == s.consulAcl
                && consulTls == s.consulTls && patroniVersion == s.patroniVersion
                && rest.equals(s.rest) && monitoring == s.monitoring && localWalArchive == s.localWalArchive;
    }

    @Override
    public int hashCode() {
        return Objects.hash(nodes, scope, namespace, ttl, loopWait, retryTimeout, haProxy, haProxyChecks, pgBouncer, poolerPerNode,
                faultProxies, synchronousMode, replicaMaxLagBytes, startTimeoutSeconds, dcs, zooKeeperTls, zooKeeperUser,
                zooKeeperPassword, postgresTls, etcdTls, etcdAuth, consulAcl, consulTls, patroniVersion, rest,
                monitoring, localWalArchive);
    }

    @Override
    public String toString() {
        return String.format("%d node(s), Patroni %d, scope %s, %s, ttl/loop_wait/retry_timeout %d/%d/%d%s%s%s%s%s%s%s%s%s",
                nodes, patroniVersion, scope, dcsDescription(), ttl, loopWait, retryTimeout,
                haProxy ? ", HAProxy (" + haProxyChecks.serverOptions() + ")" : "",
                pgBouncer ? ", PgBouncer" : "", poolerPerNode ? ", PgBouncer per node" : "", faultProxies ? ", fault proxies" : "",
                synchronousMode ? ", synchronous_mode" : "", postgresTls ? ", PostgreSQL TLS" : "", rest,
                localWalArchive ? ", local WAL archive" : "", monitoring ? ", monitoring" : "");
    }

    private String dcsDescription() {
        switch (dcs) {
            case ZOOKEEPER:
                return "ZooKeeper" + (zooKeeperTls ? " (TLS" + (zooKeeperUser != null ? ", digest user " + zooKeeperUser
                        + ")" : ")") : "");
            case CONSUL:
                return "Consul" + (consulTls ? " (TLS)" : "") + (consulAcl ? " (ACLs)" : "");
            default:
                return "etcd" + (etcdTls ? " (TLS)" : "") + (etcdAuth ? " (auth)" : "");
        }
    }
}
