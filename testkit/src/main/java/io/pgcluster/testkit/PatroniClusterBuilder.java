package io.pgcluster.testkit;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a cluster; {@link #start()} starts it. Not thread-safe; each call to {@link #start()} starts a new,
 * independent cluster.
 *
 * <pre>{@code
 * PatroniCluster cluster = PatroniCluster.builder()
 *     .nodes(3).timing(10, 2, 4)
 *     .withPgBouncer(true)                  // implies HAProxy
 *     .haProxyChecks(HaProxyChecks.TIGHT)
 *     .withFaultProxies(true)
 *     .start();
 * }</pre>
 */
public final class PatroniClusterBuilder {
    int nodes = 3;
    String scope = PatroniCluster.DEFAULT_SCOPE;
    String namespace = PatroniCluster.DEFAULT_NAMESPACE;
    int ttl = 10;
    int loopWait = 2;
    int retryTimeout = 4;
    boolean haProxy;
    HaProxyChecks haProxyChecks = HaProxyChecks.TIGHT;
    boolean pgBouncer;
    boolean poolerPerNode;
    boolean monitoring;
    boolean localWalArchive;
    boolean faultProxies;
    boolean synchronousMode;
    Dcs dcs = Dcs.ETCD;
    boolean etcdTls;
    boolean etcdAuth;
    boolean consulAcl;
    boolean consulTls;
    int patroniVersion; // 0: Setting.PATRONI_VERSION
    boolean postgresTls;
    boolean zooKeeperTls;
    String zooKeeperUser;
    String zooKeeperPassword;
    long replicaMaxLagBytes = PatroniCluster.DEFAULT_REPLICA_MAX_LAG;
    Duration startTimeout = Duration.ofSeconds(PatroniCluster.DEFAULT_START_TIMEOUT_SECONDS);
    Path baseDir;
    boolean restTls;
    boolean restVerifyClient;
    String restUser;
    String restPassword;

    PatroniClusterBuilder() {}

    /**
     * Patroni's REST API over https, with certificates of a CA made for the cluster ({@code restapi.certfile},
     * {@code keyfile}, {@code cafile}); the rig's own REST calls and HAProxy's checks use https with that CA.
     * Default false.
     *
     * @param b whether the REST API serves https
     * @return this builder
     */
    public PatroniClusterBuilder restTls(boolean b) {
        this.restTls = b;
        return this;
    }

    /**
     * Patroni's REST API wants a client certificate of the cluster's CA on every request ({@code verify_client:
     * required}); needs {@link #restTls(boolean)}. Default false.
     *
     * @param b whether client certificates are required
     * @return this builder
     */
    public PatroniClusterBuilder restVerifyClient(boolean b) {
        this.restVerifyClient = b;
        return this;
    }

    /**
     * Basic auth on Patroni's REST API ({@code restapi.authentication}; Patroni 3 checks it on POST, PATCH, PUT
     * and DELETE). The rig sends it with every request.
     *
     * @param user the user
     * @param password the password, or {@code null} to generate one ({@link PatroniCluster#restPassword()})
     * @return this builder
     */
    public PatroniClusterBuilder restAuth(String user, String password) {
        this.restUser = user;
        this.restPassword = password;
        return this;
    }

    /**
     * Number of Patroni nodes, 1..9; default 3.
     *
     * @param n the number of nodes
     * @return this builder
     */
    public PatroniClusterBuilder nodes(int n) {
        this.nodes = n;
        return this;
    }

    /**
     * Patroni's {@code scope} (the cluster name in the DCS); default {@code pgcluster-test}.
     *
     * @param scope the scope
     * @return this builder
     */
    public PatroniClusterBuilder scope(String scope) {
        this.scope = scope;
        return this;
    }

    /**
     * Patroni's {@code namespace} (DCS key prefix); default {@code /service}.
     *
     * @param ns the namespace, starting with '/'
     * @return this builder
     */
    public PatroniClusterBuilder namespace(String ns) {
        this.namespace = ns;
        return this;
    }

    /**
     * Patroni's HA timing (seconds), bootstrapped into the DCS; default 10 / 2 / 4 (a failover takes about 9 s).
     * Requires {@code ttl >= loopWait + 2 * retryTimeout}.
     *
     * @param ttl leader key TTL
     * @param loopWait HA loop interval
     * @param retryTimeout DCS and PostgreSQL retry timeout
     * @return this builder
     */
    public PatroniClusterBuilder timing(int ttl, int loopWait, int retryTimeout) {
        this.ttl = ttl;
        this.loopWait = loopWait;
        this.retryTimeout = retryTimeout;
        return this;
    }

    /**
     * Starts HAProxy with a write and a read port; default false.
     *
     * @param b whether to start HAProxy
     * @return this builder
     */
    public PatroniClusterBuilder withHaProxy(boolean b) {
        this.haProxy = b;
        return this;
    }

    /**
     * HAProxy's health check timing; default {@link HaProxyChecks#TIGHT}.
     *
     * @param c the check timing
     * @return this builder
     */
    public PatroniClusterBuilder haProxyChecks(HaProxyChecks c) {
        this.haProxyChecks = c;
        return this;
    }

    /**
     * Maximum replica lag (bytes) for HAProxy's read port ({@code GET /replica?lag=<bytes>}); default 1 MiB.
     *
     * @param bytes the lag above which a replica leaves the read pool
     * @return this builder
     */
    public PatroniClusterBuilder haProxyReplicaMaxLag(long bytes) {
        this.replicaMaxLagBytes = bytes;
        return this;
    }

    /**
     * Starts a write and a read PgBouncer in front of HAProxy; implies {@link #withHaProxy(boolean)}. Default false.
     *
     * @param b whether to start the PgBouncers
     * @return this builder
     */
    public PatroniClusterBuilder withPgBouncer(boolean b) {
        this.pgBouncer = b;
        return this;
    }

    /**
     * Starts a PgBouncer next to each node (transaction pooling, to that node's PostgreSQL only) and sets each node's
     * {@code postgresql.proxy_address} to it, so that Patroni publishes it as the member's {@code proxy_url}. See
     * {@link NodePoolers} and {@link PatroniCluster#nodePoolers()}. Default off.
     *
     * @return this builder
     */
    public PatroniClusterBuilder poolerPerNode() {
        return poolerPerNode(true);
    }

    /**
     * See {@link #poolerPerNode()}.
     *
     * @param b whether to start a PgBouncer next to each node
     * @return this builder
     */
    public PatroniClusterBuilder poolerPerNode(boolean b) {
        this.poolerPerNode = b;
        return this;
    }

    /**
     * Starts a postgres_exporter per node and a pgbouncer_exporter per PgBouncer with the rig, and prepares a
     * Prometheus for them ({@link PatroniCluster#monitoring()}); implies {@link #withPgBouncer(boolean)} and
     * {@link #localWalArchive(boolean)}, so that archiving can be watched. Default false.
     *
     * @param b whether to run the exporters and Prometheus
     * @return this builder
     */
    public PatroniClusterBuilder withMonitoring(boolean b) {
        this.monitoring = b;
        return this;
    }

    /**
     * Runs PostgreSQL with {@code archive_mode on}, archiving every WAL segment into {@code <baseDir>/wal-archive}
     * with a plain copy ({@code archive_timeout 60s}). Default false.
     *
     * @param b whether to archive WAL to a local folder
     * @return this builder
     */
    public PatroniClusterBuilder localWalArchive(boolean b) {
        this.localWalArchive = b;
        return this;
    }

    /**
     * Puts a {@link FaultProxy} in front of every node (Patroni publishes the proxy's port as its
     * {@code connect_address}, so replication, HAProxy and DCS-discovering clients go through it) and one in front
     * of etcd for clients ({@link #etcdClientEndpoint()}; Patroni itself talks to etcd directly). Default false.
     *
     * @param b whether to start the fault proxies
     * @return this builder
     */
    public PatroniClusterBuilder withFaultProxies(boolean b) {
        this.faultProxies = b;
        return this;
    }

    /**
     * Bootstraps the cluster with Patroni's {@code synchronous_mode}; default false.
     *
     * @param b whether to use synchronous replication
     * @return this builder
     */
    public PatroniClusterBuilder synchronousMode(boolean b) {
        this.synchronousMode = b;
        return this;
    }

    /**
     * Patroni's DCS: a single-member etcd (default), a standalone ZooKeeper or a Consul agent in dev mode.
     * Operations that act on one DCS ({@link PatroniCluster#etcd()}, {@link PatroniCluster#etcdClientEndpoint()},
     * {@link PatroniCluster#consul()}, ...) throw on a cluster that uses another.
     *
     * @param dcs the DCS
     * @return this builder
     */
    public PatroniClusterBuilder dcs(Dcs dcs) {
        this.dcs = dcs;
        return this;
    }

    /**
     * Patroni's major version: 3 (Debian 12's {@code patroni} package, 3.0.2) or 4 (Debian 13's, 4.0.x, which
     * {@code scripts/setup.sh} unpacks into {@code /opt/pgcluster/patroni4} and the rig runs with Debian 12's Python).
     * Patroni 4 writes role {@code primary} where 3 writes {@code master}. Default: {@code
     * -Dpgcluster.testkit.patroniVersion} / {@code PGCLUSTER_PATRONI_VERSION}, else 3, so that CI can run the same
     * tests on either version.
     *
     * @param version 3 or 4; 0 for the default
     * @return this builder
     */
    public PatroniClusterBuilder patroniVersion(int version) {
        this.patroniVersion = version;
        return this;
    }

    /**
     * Consul (with {@link Dcs#CONSUL}) with ACLs enabled and {@code default_policy deny}: Patroni uses a token that may
     * write the cluster's key prefix (and create sessions), clients get {@link ConsulServer#clientToken()}, which may
     * only read that prefix; {@link ConsulServer#managementToken()} may do anything. Default false.
     *
     * @param b whether Consul enforces ACLs
     * @return this builder
     */
    public PatroniClusterBuilder consulAcl(boolean b) {
        this.consulAcl = b;
        return this;
    }

    /**
     * Consul (with {@link Dcs#CONSUL}) serves its HTTP API over https only, with a certificate for 127.0.0.1 and
     * localhost from a CA made for the cluster ({@link ConsulServer#caFile()}); no client certificate is required.
     * Default false.
     *
     * @param b whether Consul's API speaks https
     * @return this builder
     */
    public PatroniClusterBuilder consulTls(boolean b) {
        this.consulTls = b;
        return this;
    }

    /**
     * etcd serves {@code https://} only and requires client certificates, from a CA made at start (Patroni is
     * given its own certificate); clients find the files at {@link EtcdServer#caFile()} and
     * {@link EtcdServer#clientCertificate()}. Default false.
     *
     * @param b whether etcd uses TLS
     * @return this builder
     */
    public PatroniClusterBuilder etcdTls(boolean b) {
        this.etcdTls = b;
        return this;
    }

    /**
     * ZooKeeper (with {@link Dcs#ZOOKEEPER}) speaks TLS only, with a certificate from a CA made for the cluster
     * ({@link PatroniCluster#zooKeeperCaFile()}); Patroni presents a client certificate. Default false.
     *
     * @param b whether ZooKeeper's client port speaks TLS
     * @return this builder
     */
    public PatroniClusterBuilder zooKeeperTls(boolean b) {
        this.zooKeeperTls = b;
        return this;
    }

    /**
     * Enables etcd's authentication before Patroni starts: users {@code root}, {@code patroni} (read-write on the
     * cluster's prefix, used by Patroni) and {@link EtcdServer#clientUser()} (read) with random passwords. Without
     * {@link #etcdTls(boolean)} the passwords travel in clear (loopback only). Default false.
     *
     * @param b whether etcd requires authentication
     * @return this builder
     */
    public PatroniClusterBuilder etcdAuth(boolean b) {
        this.etcdAuth = b;
        return this;
    }

    /**
     * PostgreSQL with {@code ssl=on}: a throw-away CA ({@link PatroniCluster#postgresCaFile()}) signs one server
     * certificate per node for 127.0.0.1 and localhost; default off. Plain connections still work (pg_hba does
     * not demand TLS), so the rig's own tooling is unchanged.
     *
     * @param b whether to enable TLS
     * @return this builder
     */
    public PatroniClusterBuilder postgresTls(boolean b) {
        this.postgresTls = b;
        return this;
    }

    /**
     * Closes Patroni's znodes to everyone but Patroni (its client certificate) and readers: this ZooKeeper digest
     * user, and the certificate {@link PatroniCluster#zooKeeperReaderCertificate()}. Needs
     * {@link #zooKeeperTls(boolean)}: Patroni 3.0.2 cannot log in with a digest user and writes x509 ACLs only
     * ({@code set_acls}), so the digest user reads as ZooKeeper's super user ({@code superDigest}).
     *
     * @param user the digest user
     * @param password its password
     * @return this builder
     */
    public PatroniClusterBuilder zooKeeperAuth(String user, String password) {
        this.zooKeeperUser = user;
        this.zooKeeperPassword = password;
        return this;
    }

    /**
     * The folder for all state (configs, logs, data); it must be empty or absent, and is deleted on close. Default: a
     * new folder {@code pgcluster-testkit-*} in {@code java.io.tmpdir} (or {@code -Dpgcluster.testkit.tmpDir}).
     *
     * @param dir the folder
     * @return this builder
     */
    public PatroniClusterBuilder baseDir(Path dir) {
        this.baseDir = dir;
        return this;
    }

    /**
     * How long {@link #start()} waits for the cluster to become healthy; default 120 s.
     *
     * @param timeout the timeout
     * @return this builder
     */
    public PatroniClusterBuilder startTimeout(Duration timeout) {
        this.startTimeout = timeout;
        return this;
    }

    ClusterSpec spec() {
        return ClusterSpec.of(this);
    }

    /**
     * Starts everything and waits until the cluster is healthy (see {@link #awaitHealthy(Duration)}), the
     * {@code app} role and database exist and can be used on every node, and HAProxy and PgBouncer route correctly.
     *
     * @return the running cluster; close it
     * @throws TestkitException if a binary is missing or the cluster does not become healthy; the message contains
     *     the tail of every server's log, and everything started has been stopped again
     */
    public PatroniCluster start() {
        return PatroniCluster.start(spec(), baseDir);
    }
}
