package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Patroni cluster on 127.0.0.1 for tests: one etcd, N Patroni nodes running PostgreSQL 15 with streaming
 * replication, and optionally HAProxy, two PgBouncers and {@link FaultProxy fault proxies} — all from the Debian
 * packages, on free ports chosen at run time, with all state in one temp folder. As root the servers run as
 * {@code postgres}. {@link #close()} stops every process it started, by PID, and deletes the folder; a JVM shutdown
 * hook does the same if the test run is interrupted.
 *
 * <p>Topology with everything enabled:
 * <pre>
 * client -> PgBouncer(write) -> HAProxy write port (GET /primary)       -> primary
 * client -> PgBouncer(read)  -> HAProxy read port  (GET /replica?lag=N) -> replicas
 * Patroni pgN -> etcd (direct); clients of etcd -> {@link #etcdClientEndpoint()} (through a fault proxy)
 * replicas / HAProxy -> connect_address = fault proxy of each node -> PostgreSQL
 * </pre>
 *
 * <p>Thread-safe. Lookups ({@link #leader()}, {@link #replicas()}, {@link #restClusterJson()}, ...) may run
 * concurrently with anything; control operations (switchover, kill, pause, restore, ...) are serialized.
 *
 * <pre>{@code
 * try (PatroniCluster cluster = PatroniCluster.builder().withPgBouncer(true).start()) {
 *   PatroniNode old = cluster.leader();
 *   PatroniNode now = cluster.switchover();
 *   try (Connection c = DriverManager.getConnection(
 *       cluster.jdbcUrl("127.0.0.1", cluster.haProxy().writePort()), cluster.user(), cluster.password())) {
 *     ...
 *   }
 * }
 * }</pre>
 */
public final class PatroniCluster implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    static final String DEFAULT_SCOPE = "pgcluster-test";
    static final String DEFAULT_NAMESPACE = "/service";
    static final long DEFAULT_REPLICA_MAX_LAG = 1024 * 1024;
    static final int DEFAULT_START_TIMEOUT_SECONDS = 120;

    private static final Logger log = LoggerFactory.getLogger(PatroniCluster.class);

    private final ClusterSpec spec;
    private final ClusterParts parts;
    private final ClusterReads reads;
    private final ClusterOperations ops;
    private final ClusterHealth health;
    private final ReentrantLock control = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closeDone = new CountDownLatch(1);
    private final Thread shutdownHook;
    private volatile Duration bringUpTime = Duration.ZERO;

    /**
     * A new builder with the defaults: 3 nodes, scope {@code pgcluster-test}, namespace {@code /service}, ttl 10 /
     * loop_wait 2 / retry_timeout 4, no HAProxy, no PgBouncer, no fault proxies, asynchronous replication.
     *
     * @return a new builder
     */
    public static PatroniClusterBuilder builder() {
        return new PatroniClusterBuilder();
    }

    static PatroniCluster start(ClusterSpec spec, Path requestedDir) {
        Path tmp = Path.of(Setting.TMP_DIR.value());
        RunRegistry.reapStale(tmp);
        Path dir = ClusterBoot.prepareBaseDir(requestedDir, tmp);
        PatroniCluster c;
        try {
            c = new PatroniCluster(spec, dir);
        } catch (RuntimeException e) {
            RunRegistry.deleteTree(dir);
            throw e;
        }
        try {
            c.bringUpTime = ClusterBoot.boot(c.parts, c.reads, c.health);
            return c;
        } catch (RuntimeException e) {
            String logs = c.dumpLogs(40);
            c.close();
            throw new TestkitException("Patroni cluster (" + spec + ") failed to start: " + e.getMessage()
                    + "\n" + logs, e);
        }
    }

    private PatroniCluster(ClusterSpec spec, Path baseDir) {
        this.spec = spec;
        this.parts = new ClusterParts(this, spec, baseDir);
        this.reads = new ClusterReads(parts);
        this.ops = new ClusterOperations(parts, reads);
        this.health = new ClusterHealth(parts, reads, ops);
        this.shutdownHook = new Thread(() -> {
            if (!closed.get()) {
                log.warn("JVM shutting down: closing Patroni cluster in {}", baseDir);
                close();
            }
        }, "pgcluster-testkit-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Runs a control operation (switchover, kill, pause, restore, ...) alone, on an open cluster. */
    private <T> T underControl(Supplier<T> operation) {
        control.lock();
        try {
            ensureOpen();
            return operation.get();
        } finally {
            control.unlock();
        }
    }

    private void runUnderControl(Runnable operation) {
        underControl(() -> {
            operation.run();
            return null;
        });
    }

    // ---------------------------------------------------------------------------------------------------- accessors

    /**
     * {@code https} if Patroni's REST API serves TLS ({@link Builder#restTls(boolean)}), else {@code http}.
     *
     * @return the scheme of {@link PatroniNode#restUrl()}
     */
    public String restScheme() {
        return parts.restCertificates != null ? "https" : "http";
    }

    /**
     * The CA that signs the REST API's certificates (PEM), for clients to trust.
     *
     * @return the CA file, or {@code null} without {@link Builder#restTls(boolean)}
     */
    public Path restCaFile() {
        return parts.restCertificates == null ? null : parts.restCertificates.caFile();
    }

    /**
     * A client certificate (and its PKCS#8 key) of the REST API's CA, as {@code verify_client: required} wants.
     *
     * @return the certificate, or {@code null} without {@link Builder#restTls(boolean)}
     */
    public Certificates.Issued restClientCertificate() {
        return parts.restClientCertificate;
    }

    /**
     * The REST API's basic-auth user.
     *
     * @return the user, or {@code null} without {@link Builder#restAuth(String, String)}
     */
    public String restUser() {
        return spec.rest.user();
    }

    /**
     * The REST API's basic-auth password (generated unless given).
     *
     * @return the password, or {@code null} without {@link Builder#restAuth(String, String)}
     */
    public String restPassword() {
        return parts.restPassword;
    }

    /**
     * Patroni's scope, the cluster name in the DCS.
     *
     * @return the scope
     */
    public String scope() {
        return spec.scope;
    }

    /**
     * Patroni's namespace; the cluster's keys are under {@code <namespace>/<scope>/}.
     *
     * @return the namespace, e.g. {@code /service}
     */
    public String namespace() {
        return spec.namespace;
    }

    /**
     * The application database, {@code app}, created at bootstrap and owned by {@link #user()}.
     *
     * @return the database name
     */
    public String database() {
        return Secrets.APP_DATABASE;
    }

    /**
     * The CA certificate (PEM) that signs the nodes' PostgreSQL server certificates: pgjdbc's {@code sslrootcert}.
     *
     * @return the CA file
     * @throws IllegalStateException if the cluster was built without {@code postgresTls(true)}
     */
    public Path postgresCaFile() {
        return parts.requirePostgresTls().caFile();
    }

    /**
     * Replaces every node's PostgreSQL server certificate with one for exactly these names and addresses, and
     * reloads PostgreSQL (it reads its certificate again on SIGHUP; sessions already open keep theirs). For tests
     * of what clients do when a certificate does not name the address they connect to; call it again with
     * {@code List.of("localhost"), List.of("127.0.0.1")} to restore the default.
     *
     * @param dnsNames DNS names of the subject alternative name
     * @param ips IP addresses of the subject alternative name
     * @throws IllegalStateException if the cluster was built without {@code postgresTls(true)}
     */
    public void reissuePostgresCertificates(List<String> dnsNames, List<String> ips) {
        parts.requirePostgresTls();
        runUnderControl(() -> ops.reissuePostgresCertificates(dnsNames, ips));
    }

    /**
     * The application user, {@code app}: LOGIN, not a superuser, member of {@code pg_monitor} (so it reads all of
     * {@code pg_stat_activity}); it exists on every node, as it replicates.
     *
     * @return the user name
     */
    public String user() {
        return Secrets.APP_USER;
    }

    /**
     * The application user's password (random per cluster; SCRAM-SHA-256 authentication).
     *
     * @return the password
     */
    public String password() {
        return parts.secrets.appPassword;
    }

    /**
     * The superuser, {@code postgres}.
     *
     * @return the superuser name
     */
    public String superuser() {
        return Secrets.SUPERUSER;
    }

    /**
     * The superuser's password (random per cluster).
     *
     * @return the password
     */
    public String superuserPassword() {
        return parts.secrets.superuserPassword;
    }

    /**
     * The etcd server (the DCS of a cluster built with {@link Dcs#ETCD}, the default).
     *
     * @return the etcd server
     * @throws UnsupportedOperationException if the cluster uses ZooKeeper
     */
    public EtcdServer etcd() {
        parts.requireDcs(Dcs.ETCD);
        return parts.etcd;
    }

    /**
     * The ZooKeeper server (the DCS of a cluster built with {@link Dcs#ZOOKEEPER}).
     *
     * @return the ZooKeeper server
     * @throws UnsupportedOperationException if the cluster uses etcd
     */
    public ZooKeeperServer zooKeeper() {
        parts.requireDcs(Dcs.ZOOKEEPER);
        return parts.zooKeeper;
    }

    /**
     * The Consul agent (the DCS of a cluster built with {@link Dcs#CONSUL}): its address, TLS CA, ACL tokens and key
     * prefix, and stop/start for an agent restart.
     *
     * @return the Consul agent
     * @throws UnsupportedOperationException if the cluster uses another DCS
     */
    public ConsulServer consul() {
        parts.requireDcs(Dcs.CONSUL);
        return parts.consul;
    }

    /**
     * Which DCS Patroni uses.
     *
     * @return etcd, ZooKeeper or Consul
     */
    public Dcs dcs() {
        return spec.dcs;
    }

    /**
     * Patroni's major version on this cluster's nodes.
     *
     * @return 3 or 4
     */
    public int patroniVersion() {
        return spec.patroniVersion;
    }

    /**
     * All nodes, {@code pg1} .. {@code pgN}, running or not.
     *
     * @return the nodes, in name order
     */
    public List<PatroniNode> nodes() {
        return parts.nodes;
    }

    /**
     * The node with this name.
     *
     * @param name {@code pg1} .. {@code pgN}
     * @return the node
     * @throws IllegalArgumentException if there is no such node
     */
    public PatroniNode node(String name) {
        return parts.node(name);
    }

    /**
     * The current leader according to Patroni ({@code GET /cluster} on any live node). During a failover this may
     * still be the old leader; use {@link #awaitLeaderOtherThan(String, Duration)} to wait for a new one. A view
     * without a leader is asked again for up to 15 seconds: a node restarting after a switchover answers for a
     * moment with a view that holds only itself.
     *
     * @return the node holding the leader key
     * @throws TestkitException if no leader appears in 15 seconds or no REST API answers
     */
    public PatroniNode leader() {
        return reads.leader();
    }

    /**
     * The running replicas according to {@code GET /cluster} (role replica or sync_standby, state running/streaming)
     * whose Patroni process is alive.
     *
     * @return the replicas, in name order
     * @throws TestkitException if no REST API answers
     */
    public List<PatroniNode> replicas() {
        return reads.replicas();
    }

    /**
     * The raw body of {@code GET /cluster} from the first node whose REST API answers.
     *
     * @return Patroni's JSON
     * @throws TestkitException if no REST API answers
     */
    public String restClusterJson() {
        return reads.restClusterJson();
    }

    ClusterView view() {
        return reads.view();
    }

    /**
     * The HAProxy.
     *
     * @return the HAProxy
     * @throws IllegalStateException if the cluster was built without HAProxy
     */
    public HaProxy haProxy() {
        if (parts.haProxy == null) {
            throw new IllegalStateException("This cluster has no HAProxy: build it with withHaProxy(true) "
                    + "(or @ClusterConfig(haProxy = true))");
        }
        return parts.haProxy;
    }

    /**
     * The PgBouncer pair.
     *
     * @return the PgBouncers
     * @throws IllegalStateException if the cluster was built without PgBouncer
     */
    public PgBouncerPair pgBouncers() {
        if (parts.pgBouncers == null) {
            throw new IllegalStateException("This cluster has no PgBouncer: build it with withPgBouncer(true) "
                    + "(or @ClusterConfig(pgBouncer = true))");
        }
        return parts.pgBouncers;
    }

    /**
     * The PgBouncers next to each node, published by Patroni as each member's {@code proxy_url}.
     *
     * @return the per-node PgBouncers
     * @throws IllegalStateException if the cluster was built without {@link PatroniClusterBuilder#poolerPerNode()}
     */
    public NodePoolers nodePoolers() {
        if (parts.nodePoolers == null) {
            throw new IllegalStateException("This cluster has no PgBouncer per node: build it with poolerPerNode() "
                    + "(or @ClusterConfig(poolerPerNode = true))");
        }
        return parts.nodePoolers;
    }

    /**
     * The fault proxy in front of a node (its port is the node's {@link PatroniNode#connectPort()}).
     *
     * @param node a node of this cluster
     * @return its fault proxy
     * @throws IllegalStateException if the cluster was built without fault proxies
     */
    public FaultProxy faultProxy(PatroniNode node) {
        parts.requireFaultProxies();
        FaultProxy p = parts.nodeProxies.get(node);
        if (p == null) {
            throw new IllegalArgumentException(node + " is not a node of this cluster");
        }
        return p;
    }

    /**
     * The URL etcd clients (such as the driver) should use: through {@link #etcdFaultProxy()} when the cluster has
     * fault proxies, else etcd's own client URL.
     *
     * @return {@code http://127.0.0.1:<port>}
     */
    public String etcdClientEndpoint() {
        parts.requireDcs(Dcs.ETCD);
        return parts.dcsProxy != null ? parts.etcd.scheme() + HOST + ":" + parts.dcsProxy.port() : parts.etcd.endpoint();
    }

    /**
     * The {@code HOST:PORT} ZooKeeper clients (such as the driver) should use: through {@link #zooKeeperFaultProxy()}
     * when the cluster has fault proxies, else ZooKeeper's own client port.
     *
     * @return {@code 127.0.0.1:<port>}
     * @throws UnsupportedOperationException if the cluster uses etcd
     */
    public String zooKeeperClientAddress() {
        parts.requireDcs(Dcs.ZOOKEEPER);
        return parts.dcsProxy != null ? HOST + ":" + parts.dcsProxy.port() : parts.zooKeeper.connectString();
    }

    /**
     * The {@code HOST:PORT} Consul clients (such as the driver) should use: through {@link #consulFaultProxy()} when
     * the cluster has fault proxies, else the agent's own HTTP(S) port. With {@code consulTls} it speaks https
     * ({@link ConsulServer#caFile()}).
     *
     * @return {@code 127.0.0.1:<port>}
     * @throws UnsupportedOperationException if the cluster uses another DCS
     */
    public String consulClientAddress() {
        parts.requireDcs(Dcs.CONSUL);
        return parts.dcsProxy != null ? HOST + ":" + parts.dcsProxy.port() : parts.consul.hostAndPort();
    }

    /**
     * The fault proxy in front of Consul's HTTP port (Patroni does not use it; clients of
     * {@link #consulClientAddress()} do).
     *
     * @return the proxy
     * @throws IllegalStateException if the cluster was built without fault proxies
     * @throws UnsupportedOperationException if the cluster uses another DCS
     */
    public FaultProxy consulFaultProxy() {
        parts.requireDcs(Dcs.CONSUL);
        parts.requireFaultProxies();
        return parts.dcsProxy;
    }

    /**
     * The CA that signed ZooKeeper's certificate, for clients' trust ({@code dcsCaFile}); with
     * {@link Builder#zooKeeperTls(boolean)} only.
     *
     * @return the CA certificate (PEM)
     * @throws IllegalStateException if ZooKeeper does not speak TLS
     */
    public Path zooKeeperCaFile() {
        parts.requireDcs(Dcs.ZOOKEEPER);
        if (parts.zooKeeperCa == null) {
            throw new IllegalStateException("this cluster's ZooKeeper does not speak TLS: build it with zooKeeperTls(true)");
        }
        return parts.zooKeeperCa.caFile();
    }

    /**
     * A client certificate (subject {@code CN=pgcluster-reader}) that Patroni's znode ACLs let read; with
     * {@link Builder#zooKeeperAuth(String, String)} only.
     *
     * @return the certificate and its key (PEM)
     * @throws IllegalStateException without zooKeeperAuth
     */
    public Certificates.Issued zooKeeperReaderCertificate() {
        parts.requireDcs(Dcs.ZOOKEEPER);
        if (parts.zooKeeperReader == null) {
            throw new IllegalStateException("this cluster's ZooKeeper has no ACLs: build it with zooKeeperAuth(...)");
        }
        return parts.zooKeeperReader;
    }

    /**
     * The fault proxy in front of ZooKeeper's client port (Patroni does not use it; clients of
     * {@link #zooKeeperClientAddress()} do).
     *
     * @return the proxy
     * @throws IllegalStateException if the cluster was built without fault proxies
     * @throws UnsupportedOperationException if the cluster uses etcd
     */
    public FaultProxy zooKeeperFaultProxy() {
        parts.requireDcs(Dcs.ZOOKEEPER);
        parts.requireFaultProxies();
        return parts.dcsProxy;
    }

    /**
     * The fault proxy in front of etcd's client port (Patroni does not use it; clients of
     * {@link #etcdClientEndpoint()} do).
     *
     * @return the proxy
     * @throws IllegalStateException if the cluster was built without fault proxies
     */
    public FaultProxy etcdFaultProxy() {
        parts.requireDcs(Dcs.ETCD);
        parts.requireFaultProxies();
        return parts.dcsProxy;
    }

    /**
     * A JDBC URL for the app database, {@code jdbc:postgresql://<host>:<port>/app}.
     *
     * @param host the host
     * @param port the port (a node's, HAProxy's, PgBouncer's or a proxy's)
     * @return the URL
     */
    public String jdbcUrl(String host, int port) {
        return Sql.url(host, port, database());
    }

    /**
     * A superuser connection to the {@code postgres} database, directly to the node's real PostgreSQL port (bypassing
     * any fault proxy), with connect/login timeouts of a few seconds and a 30 s socket timeout.
     *
     * @param node the node
     * @return a new connection; close it
     * @throws SQLException if the node does not accept it
     */
    public Connection connectSuperuser(PatroniNode node) throws SQLException {
        return parts.connectSuperuser(node);
    }

    /**
     * The root folder of this cluster's state.
     *
     * @return the base folder
     */
    public Path baseDir() {
        return parts.baseDir;
    }

    /**
     * How long {@link Builder#start()} took until the cluster was healthy.
     *
     * @return the measured bring-up time
     */
    public Duration bringUpTime() {
        return bringUpTime;
    }

    // ----------------------------------------------------------------------------------------- health and operations

    /**
     * Waits until the cluster is healthy: every Patroni runs; {@code GET /cluster} lists all N members with exactly
     * one running leader and N-1 running replicas (and a sync standby in synchronous mode); SQL confirms it —
     * {@code pg_is_in_recovery()} is false on the leader and true on each replica, and the leader's
     * {@code pg_stat_replication} shows every replica streaming; and, when present, HAProxy's and PgBouncer's write
     * ports reach the leader and their read ports a replica.
     *
     * @param timeout how long to wait
     * @throws TestkitException on timeout, naming the last unmet condition
     */
    public void awaitHealthy(Duration timeout) {
        ensureOpen();
        health.awaitHealthy(timeout);
    }

    /**
     * Planned switchover to any healthy replica (Patroni picks it), through {@code POST /switchover} on the leader.
     *
     * @return the new leader, once it accepts writes ({@code pg_is_in_recovery()} false)
     * @throws TestkitException if Patroni refuses or the switchover does not complete within 60 s
     */
    public PatroniNode switchover() {
        return underControl(() -> ops.switchover(null));
    }

    /**
     * Planned switchover to the given member.
     *
     * @param candidate the member to promote, e.g. {@code "pg2"}
     * @return the new leader (the candidate), once it accepts writes
     * @throws TestkitException if Patroni refuses, promotes another member, or does not finish within 60 s
     */
    public PatroniNode switchover(String candidate) {
        node(candidate);
        return underControl(() -> ops.switchover(candidate));
    }

    /**
     * Kills the current leader with SIGKILL (Patroni, then the postmaster and its children; see
     * {@link PatroniNode#kill9()}). Nothing is restarted; the replicas elect a new leader after the leader key's TTL.
     *
     * @return the killed node
     */
    public PatroniNode killPrimary() {
        return underControl(ops::killPrimary);
    }

    /**
     * Waits until a member other than {@code oldLeader} holds the leader key, is running, and accepts writes
     * ({@code pg_is_in_recovery()} false, checked with SQL because {@code GET /primary} can lie for a moment).
     *
     * @param oldLeader the name of the previous leader
     * @param timeout how long to wait
     * @return the new leader
     * @throws TestkitException on timeout
     */
    public PatroniNode awaitLeaderOtherThan(String oldLeader, Duration timeout) {
        return reads.awaitLeaderOtherThan(oldLeader, timeout);
    }

    /**
     * Puts the cluster in maintenance mode ({@code PATCH /config {"pause": true}}) and waits until every running
     * member reports it in {@code GET /patroni}. While paused Patroni neither fails over nor restarts PostgreSQL.
     */
    public void pause() {
        runUnderControl(() -> ops.pause(true));
    }

    /** Ends maintenance mode ({@code PATCH /config {"pause": null}}) and waits until every running member reports it. */
    public void resume() {
        runUnderControl(() -> ops.pause(false));
    }

    /**
     * Changes Patroni's dynamic configuration with {@code PATCH /config} (a JSON merge patch: nested maps merge, null
     * removes a key), e.g. {@code Map.of("ttl", 20, "loop_wait", 5, "synchronous_mode", true,
     * "maximum_lag_on_failover", 10485760)}. Members apply it on their next HA loop. {@link #restoreHealthy(Duration)}
     * puts back the configuration the cluster started with.
     *
     * @param patch the keys to change
     * @throws TestkitException if Patroni rejects it
     */
    public void setDynamicConfig(Map<String, Object> patch) {
        runUnderControl(() -> ops.patchConfig(patch));
    }

    /**
     * Patroni's dynamic configuration, {@code GET /config} from the first node that answers.
     *
     * @return the configuration (nested maps; integers as {@code Long})
     * @throws TestkitException if no REST API answers
     */
    public Map<String, Object> dynamicConfig() {
        return reads.dynamicConfig();
    }

    /**
     * Undoes whatever a test did, then waits until healthy: ends induced lags, sets every fault proxy to pass,
     * restarts HAProxy/PgBouncer/etcd if they are down, starts stopped members, puts back the dynamic configuration
     * the cluster started with (which also ends a pause), and calls {@link #awaitHealthy(Duration)}. The leader may
     * be any member afterwards.
     *
     * @param timeout how long to wait in total
     * @throws TestkitException if the cluster does not become healthy in time
     */
    public void restoreHealthy(Duration timeout) {
        runUnderControl(() -> health.restore(timeout));
    }

    /**
     * Removes the cluster from the DCS and bootstraps it anew with initdb on the same members, names and addresses
     * ({@link ClusterRebuild}): a new cluster (new system identifier, empty but for the application's role and
     * database, which a {@code post_bootstrap} script creates before Patroni takes the leader key). What an operator
     * does to start over under the same scope; the data is gone.
     *
     * @return how long each step took
     */
    public ClusterRebuild.Timings bootstrapAnew(Duration timeout) {
        return underControl(() -> {
            Path script = parts.baseDir.resolve("post_bootstrap.sh");
            try {
                Files.writeString(script, Configs.postBootstrapScript(Setting.pgTool("psql"),
                        parts.secrets.appPassword), StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------")); // a password
            } catch (IOException e) {
                throw new TestkitException("Cannot write " + script + ": " + e, e);
            }
            return ClusterRebuild.run(this, parts, "bootstrapping anew (initdb)",
                    (n, yml) -> Configs.withPostBootstrap(yml, script), timeout);
        });
    }

    /** The cluster's parts, for the kit's own add-ons (PgBackRest). */
    ClusterParts parts() {
        return parts;
    }

    /** Where a new app-user connection through a port (HAProxy, PgBouncer, proxy, node) ends up. */
    Route route(int port) throws SQLException {
        return reads.route(port);
    }

    void register(LagHandle lag) {
        health.register(lag);
    }

    /** Every live process of this cluster: servers, postmasters and their children. */
    List<ProcessHandle> processes() {
        return parts.processes();
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The Patroni cluster in " + parts.baseDir + " is closed");
        }
    }

    /**
     * The last {@code lines} lines of every server's log (etcd, each Patroni — which includes its PostgreSQL's log —,
     * HAProxy, PgBouncers), each under a header naming the file.
     *
     * @param lines lines per log
     * @return the text, ready to print
     */
    public String dumpLogs(int lines) {
        StringBuilder b = new StringBuilder();
        for (ManagedProcess p : parts.allProcesses()) {
            b.append("\n===== ").append(p.name()).append(" (").append(p.logFile()).append("), last ").append(lines)
                    .append(" lines =====\n");
            for (String line : LogTail.tail(p.logFile(), lines)) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * The exporters and Prometheus of a cluster built {@code withMonitoring(true)}.
     *
     * @return the monitoring part
     * @throws IllegalStateException if the cluster was built without it
     */
    public Monitoring monitoring() {
        if (parts.monitoring == null) {
            throw new IllegalStateException("This cluster has no monitoring: build it with withMonitoring(true)");
        }
        return parts.monitoring;
    }

    /**
     * Stops everything this cluster started and deletes {@link #baseDir()} (kept with
     * {@code -Dpgcluster.testkit.keepDir=true}). Fast rather than graceful: fault proxies are closed, Patroni gets
     * SIGKILL and PostgreSQL an immediate shutdown (SIGQUIT), etcd/HAProxy/PgBouncer SIGTERM; whatever is left after
     * 15 s gets SIGKILL. Always by PID. Idempotent; a call while another thread is closing returns when that is
     * done. Also run by a JVM shutdown hook.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            // Another thread (e.g. the shutdown hook) is closing: return when it is done.
            try {
                closeDone.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            doClose();
        } finally {
            closeDone.countDown();
        }
    }

    private void doClose() {
        long t0 = System.nanoTime();
        health.endLags();
        List<ProcessHandle> left = ClusterBoot.stop(parts);
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down
            }
        }
        if (left.isEmpty()) {
            log.info("cluster '{}' stopped and cleaned up in {}", spec.scope, Await.millisSince(t0));
        } else {
            log.error("cluster '{}': processes survived SIGKILL: {}", spec.scope, left);
        }
    }

    @Override
    public String toString() {
        return "PatroniCluster[" + spec + ", " + parts.baseDir + (closed.get() ? ", closed" : "") + "]";
    }
}
