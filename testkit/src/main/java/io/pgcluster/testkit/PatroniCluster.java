package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
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
    private static final Duration REST_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration OP_TIMEOUT = Duration.ofSeconds(60);

    private final ClusterSpec spec;
    private final Path baseDir;
    private final RunAs runAs;
    private final Secrets secrets = new Secrets();
    private final PatroniRest rest; // to Patroni's REST API: https, client certificate, credentials as spec.rest says
    private final Certificates restCertificates; // null unless spec.rest.tls()
    private final Certificates.Issued restClientCertificate; // null unless spec.rest.tls()
    private final String restPassword; // null unless spec.rest.auth()
    private final RunRegistry registry;
    private final EtcdServer etcd; // null with Dcs.ZOOKEEPER
    private final ZooKeeperServer zooKeeper; // null with Dcs.ETCD
    private final FaultProxy dcsProxy; // in front of etcd or ZooKeeper, for clients; null without fault proxies
    private final Certificates zooKeeperCa; // null unless zooKeeperTls
    private final Certificates.Issued zooKeeperReader; // null unless zooKeeperAuth
    private final List<PatroniNode> nodes;
    private final Map<PatroniNode, FaultProxy> nodeProxies;
    private final HaProxy haProxy;
    private final PgBouncerPair pgBouncers;
    private final Certificates postgresCa; // null without PostgreSQL TLS
    private final List<LagHandle> lags = new CopyOnWriteArrayList<>();
    private final ReentrantLock control = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closeDone = new CountDownLatch(1);
    private final Thread shutdownHook;
    private volatile Map<String, Object> baselineConfig = Map.of();
    private volatile Duration bringUpTime = Duration.ZERO;

    /**
     * A new builder with the defaults: 3 nodes, scope {@code pgcluster-test}, namespace {@code /service}, ttl 10 /
     * loop_wait 2 / retry_timeout 4, no HAProxy, no PgBouncer, no fault proxies, asynchronous replication.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

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
    public static final class Builder {
        int nodes = 3;
        String scope = DEFAULT_SCOPE;
        String namespace = DEFAULT_NAMESPACE;
        int ttl = 10;
        int loopWait = 2;
        int retryTimeout = 4;
        boolean haProxy;
        HaProxyChecks haProxyChecks = HaProxyChecks.TIGHT;
        boolean pgBouncer;
        boolean faultProxies;
        boolean synchronousMode;
        Dcs dcs = Dcs.ETCD;
        boolean etcdTls;
        boolean etcdAuth;
        boolean postgresTls;
        boolean zooKeeperTls;
        String zooKeeperUser;
        String zooKeeperPassword;
        long replicaMaxLagBytes = DEFAULT_REPLICA_MAX_LAG;
        Duration startTimeout = Duration.ofSeconds(DEFAULT_START_TIMEOUT_SECONDS);
        Path baseDir;
        boolean restTls;
        boolean restVerifyClient;
        String restUser;
        String restPassword;

        private Builder() {}

        /**
         * Patroni's REST API over https, with certificates of a CA made for the cluster ({@code restapi.certfile},
         * {@code keyfile}, {@code cafile}); the rig's own REST calls and HAProxy's checks use https with that CA.
         * Default false.
         *
         * @param b whether the REST API serves https
         * @return this builder
         */
        public Builder restTls(boolean b) {
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
        public Builder restVerifyClient(boolean b) {
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
        public Builder restAuth(String user, String password) {
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
        public Builder nodes(int n) {
            this.nodes = n;
            return this;
        }

        /**
         * Patroni's {@code scope} (the cluster name in the DCS); default {@code pgcluster-test}.
         *
         * @param scope the scope
         * @return this builder
         */
        public Builder scope(String scope) {
            this.scope = scope;
            return this;
        }

        /**
         * Patroni's {@code namespace} (DCS key prefix); default {@code /service}.
         *
         * @param ns the namespace, starting with '/'
         * @return this builder
         */
        public Builder namespace(String ns) {
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
        public Builder timing(int ttl, int loopWait, int retryTimeout) {
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
        public Builder withHaProxy(boolean b) {
            this.haProxy = b;
            return this;
        }

        /**
         * HAProxy's health check timing; default {@link HaProxyChecks#TIGHT}.
         *
         * @param c the check timing
         * @return this builder
         */
        public Builder haProxyChecks(HaProxyChecks c) {
            this.haProxyChecks = c;
            return this;
        }

        /**
         * Maximum replica lag (bytes) for HAProxy's read port ({@code GET /replica?lag=<bytes>}); default 1 MiB.
         *
         * @param bytes the lag above which a replica leaves the read pool
         * @return this builder
         */
        public Builder haProxyReplicaMaxLag(long bytes) {
            this.replicaMaxLagBytes = bytes;
            return this;
        }

        /**
         * Starts a write and a read PgBouncer in front of HAProxy; implies {@link #withHaProxy(boolean)}. Default false.
         *
         * @param b whether to start the PgBouncers
         * @return this builder
         */
        public Builder withPgBouncer(boolean b) {
            this.pgBouncer = b;
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
        public Builder withFaultProxies(boolean b) {
            this.faultProxies = b;
            return this;
        }

        /**
         * Bootstraps the cluster with Patroni's {@code synchronous_mode}; default false.
         *
         * @param b whether to use synchronous replication
         * @return this builder
         */
        public Builder synchronousMode(boolean b) {
            this.synchronousMode = b;
            return this;
        }

        /**
         * Patroni's DCS: a single-member etcd (default) or a standalone ZooKeeper. Operations that act on etcd
         * ({@link PatroniCluster#etcd()}, {@link PatroniCluster#etcdClientEndpoint()}) throw on a ZooKeeper cluster, and
         * the ZooKeeper ones on an etcd cluster.
         *
         * @param dcs the DCS
         * @return this builder
         */
        public Builder dcs(Dcs dcs) {
            this.dcs = dcs;
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
        public Builder etcdTls(boolean b) {
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
        public Builder zooKeeperTls(boolean b) {
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
        public Builder etcdAuth(boolean b) {
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
        public Builder postgresTls(boolean b) {
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
        public Builder zooKeeperAuth(String user, String password) {
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
        public Builder baseDir(Path dir) {
            this.baseDir = dir;
            return this;
        }

        /**
         * How long {@link #start()} waits for the cluster to become healthy; default 120 s.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder startTimeout(Duration timeout) {
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

    static PatroniCluster start(ClusterSpec spec, Path requestedDir) {
        Path tmp = Path.of(Setting.TMP_DIR.value());
        RunRegistry.reapStale(tmp);
        Path dir = prepareBaseDir(requestedDir, tmp);
        PatroniCluster c;
        try {
            c = new PatroniCluster(spec, dir);
        } catch (RuntimeException e) {
            RunRegistry.deleteTree(dir);
            throw e;
        }
        try {
            c.boot();
            return c;
        } catch (RuntimeException e) {
            String logs = c.dumpLogs(40);
            c.close();
            throw new TestkitException("Patroni cluster (" + spec + ") failed to start: " + e.getMessage()
                    + "\n" + logs, e);
        }
    }

    private static Path prepareBaseDir(Path requested, Path tmp) {
        try {
            if (requested == null) {
                Files.createDirectories(tmp);
                return Files.createTempDirectory(tmp, RunRegistry.PREFIX);
            }
            Path dir = requested.toAbsolutePath().normalize();
            if (Files.exists(dir)) {
                try (var s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        throw new IllegalArgumentException("baseDir " + dir + " must be empty or absent: it is deleted on close");
                    }
                }
            }
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            throw new TestkitException("Cannot create the cluster folder: " + e, e);
        }
    }

    private PatroniCluster(ClusterSpec spec, Path baseDir) {
        this.spec = spec;
        this.baseDir = baseDir;
        this.runAs = RunAs.detect();
        Path python = Setting.PYTHON.executable();
        Path patroniScript = Setting.PATRONI.executable();
        boolean zk = spec.dcs == Dcs.ZOOKEEPER;
        Path etcdBinary = zk ? null : Setting.ETCD.executable();
        Path java = zk ? Setting.JAVA.executable() : null;
        Path zooKeeperJar = zk ? Setting.ZOOKEEPER_JAR.executable() : null;
        Path pgBinDir = Setting.PG_BIN_DIR.executable();
        Setting.pgTool("postgres");
        Setting.pgTool("initdb");
        Path haproxyBinary = spec.haProxy ? Setting.HAPROXY.executable() : null;
        Path pgbouncerBinary = spec.pgBouncer ? Setting.PGBOUNCER.executable() : null;

        this.registry = new RunRegistry(baseDir);
        int n = spec.nodes;
        int[] ports = Ports.allocate(2 + 2 * n + (spec.haProxy ? 3 : 0) + (spec.pgBouncer ? 2 : 0));
        int next = 0;
        int dcsClientPort = ports[next++];
        int etcdPeerPort = ports[next++]; // unused with ZooKeeper
        Path home = mkdir(baseDir.resolve("home"));
        this.postgresCa = spec.postgresTls ? Certificates.create(baseDir.resolve("pg-tls")) : null;
        this.restPassword = !spec.rest.auth() ? null
                : spec.rest.password() != null ? spec.rest.password() : Secrets.random(20);
        Certificates.Issued restServerCertificate = null;
        Path haProxyClientPem = null;
        if (spec.rest.tls()) {
            this.restCertificates = Certificates.create(baseDir.resolve("rest-tls"));
            restServerCertificate = restCertificates.server("rest", List.of("localhost"), List.of(HOST));
            this.restClientCertificate = restCertificates.client("pgcluster-testkit");
            if (spec.rest.verifyClient() && spec.haProxy) {
                haProxyClientPem = restCertificates.dir().resolve("haproxy-client.pem");
                try {
                    write(haProxyClientPem, Files.readString(restClientCertificate.cert())
                            + Files.readString(restClientCertificate.key()));
                    Files.setPosixFilePermissions(haProxyClientPem, PosixFilePermissions.fromString("rw-------"));
                } catch (IOException e) {
                    throw new TestkitException("Cannot write " + haProxyClientPem + ": " + e, e);
                }
            }
        } else {
            this.restCertificates = null;
            this.restClientCertificate = null;
        }
        this.rest = new PatroniRest(restCertificates == null ? null : restCertificates.caFile(), restClientCertificate,
                spec.rest.user(), restPassword);
        String restApiSecurity = Configs.restApiSecurity(spec.rest, restPassword, restServerCertificate,
                restCertificates == null ? null : restCertificates.caFile());
        List<FaultProxy> proxiesSoFar = new ArrayList<>();
        EtcdSecurity etcdSecurity = null; // with etcdTls/etcdAuth
        Configs.ZooKeeperTlsFiles zkTls = null;
        try {
            if (zk) {
                Path zkDir = mkdir(baseDir.resolve("zookeeper"));
                Path zkData = mkdir(zkDir.resolve("data"));
                Path zooCfg = zkDir.resolve("zoo.cfg");
                if (spec.zooKeeperTls) {
                    Certificates ca = Certificates.create(zkDir.resolve("tls"));
                    Certificates.Issued server = ca.server("zookeeper", List.of("localhost"), List.of(HOST));
                    Certificates.Issued patroni = ca.client("patroni");
                    Path serverPem = zkDir.resolve("tls").resolve("zookeeper.pem"); // ZooKeeper: cert + key, one file
                    write(serverPem, Files.readString(server.cert()) + Files.readString(server.key()));
                    Files.setPosixFilePermissions(serverPem, PosixFilePermissions.fromString("rw-------"));
                    this.zooKeeperCa = ca;
                    this.zooKeeperReader = spec.zooKeeperUser != null ? ca.client("pgcluster-reader") : null;
                    zkTls = new Configs.ZooKeeperTlsFiles(ca.caFile(), serverPem, patroni.cert(), patroni.key(),
                            "CN=patroni", "CN=pgcluster-reader");
                } else {
                    this.zooKeeperCa = null;
                    this.zooKeeperReader = null;
                }
                write(zooCfg, Configs.zooCfg(zkData, dcsClientPort, zkTls, spec.zooKeeperUser, spec.zooKeeperPassword));
                ManagedProcess zkProcess = new ManagedProcess("zookeeper",
                        Configs.zooKeeperCommand(java, zooKeeperJar, zooCfg, spec.zooKeeperTls), zkDir,
                        zkDir.resolve("zookeeper.log"), home, runAs, h -> registry.record(h, "zookeeper"));
                this.zooKeeper = new ZooKeeperServer(zkProcess, dcsClientPort, zkTls == null ? null : zkTls.ca());
                this.etcd = null;
            } else {
                Path etcdDir = mkdir(baseDir.resolve("etcd"));
                etcdSecurity = EtcdSecurity.of(spec, baseDir.resolve("tls"));
                ManagedProcess etcdProcess = new ManagedProcess("etcd",
                        Configs.etcdCommand(etcdBinary, spec.scope, etcdDir.resolve("data"), dcsClientPort, etcdPeerPort,
                                etcdSecurity),
                        etcdDir, etcdDir.resolve("etcd.log"), home, runAs, h -> registry.record(h, "etcd"));
                this.etcd = new EtcdServer(etcdProcess, dcsClientPort, new PatroniRest(), etcdSecurity,
                        etcdBinary.resolveSibling("etcdctl"));
                this.zooKeeper = null;
                this.zooKeeperCa = null;
                this.zooKeeperReader = null;
            }
            this.dcsProxy = spec.faultProxies ? FaultProxy.start(HOST, dcsClientPort) : null;
            if (dcsProxy != null) {
                proxiesSoFar.add(dcsProxy);
            }

            List<PatroniNode> nodeList = new ArrayList<>();
            Map<PatroniNode, FaultProxy> proxies = new LinkedHashMap<>();
            List<Configs.Backend> backends = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                String name = "pg" + i;
                int pgPort = ports[next++];
                int restPort = ports[next++];
                FaultProxy proxy = spec.faultProxies ? FaultProxy.start(HOST, pgPort) : null;
                if (proxy != null) {
                    proxiesSoFar.add(proxy);
                }
                int connectPort = proxy != null ? proxy.port() : pgPort;
                Path nodeDir = mkdir(baseDir.resolve(name));
                Path dataDir = nodeDir.resolve("data");
                Path yml = nodeDir.resolve("patroni.yml");
                write(yml, Configs.patroniYaml(spec, name, pgPort, connectPort, restPort, dcsClientPort, dataDir,
                        nodeDir.resolve("pgpass"), pgBinDir, secrets, etcdSecurity, zkTls,
                        postgresCa == null ? null : postgresCa.server(name, List.of("localhost"), List.of(HOST)),
                        restApiSecurity));
                ManagedProcess p = new ManagedProcess(name, List.of(python.toString(), patroniScript.toString(),
                        yml.toString()), nodeDir, nodeDir.resolve("patroni.log"), home, runAs, h -> registry.record(h, name));
                PatroniNode node = new PatroniNode(this, name, pgPort, connectPort, restPort, dataDir, p);
                nodeList.add(node);
                if (proxy != null) {
                    proxies.put(node, proxy);
                }
                backends.add(new Configs.Backend(name, connectPort, restPort));
            }
            this.nodes = Collections.unmodifiableList(nodeList);
            this.nodeProxies = Collections.unmodifiableMap(proxies);

            if (spec.haProxy) {
                int write = ports[next++];
                int read = ports[next++];
                int stats = ports[next++];
                Path dir = mkdir(baseDir.resolve("haproxy"));
                Path cfg = dir.resolve("haproxy.cfg");
                write(cfg, Configs.haproxyCfg(spec, write, read, stats, backends, restCertificates == null ? ""
                        : Configs.haproxyCheckTls(restCertificates.caFile(), haProxyClientPem)));
                ManagedProcess p = new ManagedProcess("haproxy", List.of(haproxyBinary.toString(), "-f", cfg.toString(),
                        "-db"), dir, dir.resolve("haproxy.log"), home, runAs, h -> registry.record(h, "haproxy"));
                this.haProxy = new HaProxy(write, read, stats, p);
            } else {
                this.haProxy = null;
            }

            if (spec.pgBouncer) {
                int write = ports[next++];
                int read = ports[next++];
                Path dir = mkdir(baseDir.resolve("pgbouncer"));
                Path users = dir.resolve("userlist.txt");
                write(users, Configs.userlist(secrets));
                Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
                this.pgBouncers = new PgBouncerPair(write, read,
                        pgbouncer("write", write, haProxy.writePort(), dir, users, pgbouncerBinary, home),
                        pgbouncer("read", read, haProxy.readPort(), dir, users, pgbouncerBinary, home));
            } else {
                this.pgBouncers = null;
            }
            runAs.own(baseDir);
        } catch (IOException | RuntimeException e) {
            proxiesSoFar.forEach(FaultProxy::close);
            throw e instanceof RuntimeException ? (RuntimeException) e
                    : new TestkitException("Cannot write the cluster's files in " + baseDir + ": " + e, e);
        }
        this.shutdownHook = new Thread(() -> {
            if (!closed.get()) {
                log.warn("JVM shutting down: closing Patroni cluster in {}", baseDir);
                close();
            }
        }, "pgcluster-testkit-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private ManagedProcess pgbouncer(String role, int port, int haproxyPort, Path dir, Path users, Path binary,
            Path home) throws IOException {
        Path ini = dir.resolve(role + ".ini");
        write(ini, Configs.pgbouncerIni(role, port, haproxyPort, users));
        return new ManagedProcess("pgbouncer-" + role, List.of(binary.toString(), ini.toString()), dir,
                dir.resolve(role + ".log"), home, runAs, h -> registry.record(h, "pgbouncer-" + role));
    }

    private static Path mkdir(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TestkitException("Cannot create " + dir + ": " + e, e);
        }
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private void boot() {
        long t0 = System.nanoTime();
        Duration timeout = Duration.ofSeconds(spec.startTimeoutSeconds);
        log.info("starting Patroni cluster '{}' ({}) in {}, servers running as {}", spec.scope, spec, baseDir,
                runAs.user());
        dcsProcess().start();
        if (etcd != null) {
            etcd.awaitHealthy();
            if (spec.etcdAuth) {
                etcd.enableAuth(spec.namespace.replaceAll("/*$", "/"));
            }
        } else {
            zooKeeper.awaitHealthy();
        }
        long tEtcd = System.nanoTime();
        nodes.forEach(n -> n.patroni().start());
        if (haProxy != null) {
            haProxy.process().start();
        }
        if (pgBouncers != null) {
            pgBouncers.writeProcess().start();
            pgBouncers.readProcess().start();
        }
        PatroniNode leader = Await.until("a leader that accepts writes", timeout, this::probeWritableLeader);
        long tLeader = System.nanoTime();
        createAppRoleAndDatabase(leader);
        awaitHealthy(timeout.minusNanos(System.nanoTime() - t0));
        for (PatroniNode n : nodes) {
            Await.until("user " + user() + " to log in to database " + database() + " on " + n.name(), OP_TIMEOUT,
                    () -> {
                        try (Connection c = Sql.connect(HOST, n.pgPort(), database(), user(), password(), 3, 10)) {
                            return Sql.scalar(c, "select 1");
                        }
                    });
        }
        baselineConfig = dynamicConfig();
        bringUpTime = Duration.ofNanos(System.nanoTime() - t0);
        log.info("cluster '{}' healthy in {} ms ({} {} ms, first leader {} ms): leader {}, {}{}", spec.scope,
                bringUpTime.toMillis(), etcd != null ? "etcd" : "ZooKeeper", (tEtcd - t0) / 1_000_000, (tLeader - t0) / 1_000_000, leader().name(),
                nodes.stream().map(PatroniNode::toString).collect(Collectors.joining(", ")),
                haProxy == null ? "" : ", " + haProxy + (pgBouncers == null ? "" : ", " + pgBouncers));
    }

    private PatroniNode probeWritableLeader() throws Exception {
        if (nodes.stream().noneMatch(PatroniNode::isRunning)) {
            throw new Await.Abort("no Patroni process is running; see the logs");
        }
        ClusterView v = view();
        ClusterView.Member m = v.leader();
        if (m == null || !m.isUp()) {
            throw new Await.NotYet("no running leader in GET /cluster: " + v);
        }
        PatroniNode leader = node(m.name);
        try (Connection c = connectSuperuser(leader)) {
            if (!"f".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                throw new Await.NotYet(leader.name() + " holds the leader key but pg_is_in_recovery() is still true");
            }
        }
        return leader;
    }

    private void createAppRoleAndDatabase(PatroniNode leader) {
        Await.until("role and database '" + Secrets.APP_DATABASE + "' to be created on " + leader.name(), OP_TIMEOUT,
                () -> {
                    try (Connection c = connectSuperuser(leader); Statement s = c.createStatement()) {
                        if (Sql.scalar(c, "select 1 from pg_roles where rolname = '" + Secrets.APP_USER + "'") == null) {
                            // pg_monitor includes pg_read_all_stats: the app user sees all of pg_stat_activity.
                            s.execute("create role " + Secrets.APP_USER + " login password '" + secrets.appPassword
                                    + "' in role pg_monitor");
                        }
                        if (Sql.scalar(c, "select 1 from pg_database where datname = '" + Secrets.APP_DATABASE + "'")
                                == null) {
                            s.execute("create database " + Secrets.APP_DATABASE + " owner " + Secrets.APP_USER);
                        }
                        return Boolean.TRUE;
                    }
                });
    }

    // ---------------------------------------------------------------------------------------------------- accessors

    /**
     * {@code https} if Patroni's REST API serves TLS ({@link Builder#restTls(boolean)}), else {@code http}.
     *
     * @return the scheme of {@link PatroniNode#restUrl()}
     */
    public String restScheme() {
        return restCertificates != null ? "https" : "http";
    }

    /**
     * The CA that signs the REST API's certificates (PEM), for clients to trust.
     *
     * @return the CA file, or {@code null} without {@link Builder#restTls(boolean)}
     */
    public Path restCaFile() {
        return restCertificates == null ? null : restCertificates.caFile();
    }

    /**
     * A client certificate (and its PKCS#8 key) of the REST API's CA, as {@code verify_client: required} wants.
     *
     * @return the certificate, or {@code null} without {@link Builder#restTls(boolean)}
     */
    public Certificates.Issued restClientCertificate() {
        return restClientCertificate;
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
        return restPassword;
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
        return requirePostgresTls().caFile();
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
        Certificates ca = requirePostgresTls();
        control.lock();
        try {
            for (PatroniNode n : nodes) {
                ca.server(n.name(), dnsNames, ips);
            }
            ca.handTo(runAs);
            for (PatroniNode n : nodes) {
                try (Connection c = connectSuperuser(n); Statement s = c.createStatement()) {
                    s.execute("SELECT pg_reload_conf()");
                } catch (SQLException e) {
                    throw new TestkitException("Cannot reload PostgreSQL on " + n.name() + ": " + e.getMessage(), e);
                }
            }
        } finally {
            control.unlock();
        }
    }

    private Certificates requirePostgresTls() {
        if (postgresCa == null) {
            throw new IllegalStateException("This cluster runs PostgreSQL without TLS: build it with "
                    + "postgresTls(true) (or @ClusterConfig(postgresTls = true))");
        }
        return postgresCa;
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
        return secrets.appPassword;
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
        return secrets.superuserPassword;
    }

    /**
     * The etcd server (the DCS of a cluster built with {@link Dcs#ETCD}, the default).
     *
     * @return the etcd server
     * @throws UnsupportedOperationException if the cluster uses ZooKeeper
     */
    public EtcdServer etcd() {
        requireDcs(Dcs.ETCD);
        return etcd;
    }

    /**
     * The ZooKeeper server (the DCS of a cluster built with {@link Dcs#ZOOKEEPER}).
     *
     * @return the ZooKeeper server
     * @throws UnsupportedOperationException if the cluster uses etcd
     */
    public ZooKeeperServer zooKeeper() {
        requireDcs(Dcs.ZOOKEEPER);
        return zooKeeper;
    }

    /**
     * Which DCS Patroni uses.
     *
     * @return etcd or ZooKeeper
     */
    public Dcs dcs() {
        return spec.dcs;
    }

    private void requireDcs(Dcs wanted) {
        if (spec.dcs != wanted) {
            throw new UnsupportedOperationException("This cluster uses " + spec.dcs + " as its DCS, not " + wanted
                    + ": build it with dcs(Dcs." + wanted + ") (or @ClusterConfig(dcs = Dcs." + wanted + "))");
        }
    }

    private ManagedProcess dcsProcess() {
        return etcd != null ? etcd.process() : zooKeeper.process();
    }

    /**
     * All nodes, {@code pg1} .. {@code pgN}, running or not.
     *
     * @return the nodes, in name order
     */
    public List<PatroniNode> nodes() {
        return nodes;
    }

    /**
     * The node with this name.
     *
     * @param name {@code pg1} .. {@code pgN}
     * @return the node
     * @throws IllegalArgumentException if there is no such node
     */
    public PatroniNode node(String name) {
        for (PatroniNode n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("No node named '" + name + "'; the nodes are "
                + nodes.stream().map(PatroniNode::name).collect(Collectors.joining(", ")));
    }

    /**
     * The current leader according to Patroni ({@code GET /cluster} on any live node). During a failover this may
     * still be the old leader or fail; use {@link #awaitLeaderOtherThan(String, Duration)} to wait for a new one.
     *
     * @return the node holding the leader key
     * @throws TestkitException if there is no leader or no REST API answers
     */
    public PatroniNode leader() {
        ClusterView v = view();
        ClusterView.Member m = v.leader();
        if (m == null) {
            throw new TestkitException("No leader in GET /cluster: " + v);
        }
        return node(m.name);
    }

    /**
     * The running replicas according to {@code GET /cluster} (role replica or sync_standby, state running/streaming)
     * whose Patroni process is alive.
     *
     * @return the replicas, in name order
     * @throws TestkitException if no REST API answers
     */
    public List<PatroniNode> replicas() {
        ClusterView v = view();
        List<PatroniNode> r = new ArrayList<>();
        for (ClusterView.Member m : v.members) {
            if (m.isReplica() && m.isUp()) {
                PatroniNode n = node(m.name);
                if (n.isRunning()) {
                    r.add(n);
                }
            }
        }
        return Collections.unmodifiableList(r);
    }

    /**
     * The raw body of {@code GET /cluster} from the first node whose REST API answers.
     *
     * @return Patroni's JSON
     * @throws TestkitException if no REST API answers
     */
    public String restClusterJson() {
        List<String> errors = new ArrayList<>();
        for (PatroniNode n : nodes) {
            if (!n.isRunning()) {
                errors.add(n.name() + ": not running");
                continue;
            }
            try {
                PatroniRest.Response r = rest.get(n.restUrl() + "/cluster", REST_TIMEOUT);
                if (r.ok()) {
                    return r.body;
                }
                errors.add(n.name() + ": " + r);
            } catch (IOException e) {
                errors.add(n.name() + ": " + e);
            }
        }
        throw new TestkitException("No Patroni REST API answered GET /cluster: " + String.join("; ", errors));
    }

    ClusterView view() {
        return ClusterView.parse(restClusterJson());
    }

    /**
     * The HAProxy.
     *
     * @return the HAProxy
     * @throws IllegalStateException if the cluster was built without HAProxy
     */
    public HaProxy haProxy() {
        if (haProxy == null) {
            throw new IllegalStateException("This cluster has no HAProxy: build it with withHaProxy(true) "
                    + "(or @ClusterConfig(haProxy = true))");
        }
        return haProxy;
    }

    /**
     * The PgBouncer pair.
     *
     * @return the PgBouncers
     * @throws IllegalStateException if the cluster was built without PgBouncer
     */
    public PgBouncerPair pgBouncers() {
        if (pgBouncers == null) {
            throw new IllegalStateException("This cluster has no PgBouncer: build it with withPgBouncer(true) "
                    + "(or @ClusterConfig(pgBouncer = true))");
        }
        return pgBouncers;
    }

    /**
     * The fault proxy in front of a node (its port is the node's {@link PatroniNode#connectPort()}).
     *
     * @param node a node of this cluster
     * @return its fault proxy
     * @throws IllegalStateException if the cluster was built without fault proxies
     */
    public FaultProxy faultProxy(PatroniNode node) {
        requireFaultProxies();
        FaultProxy p = nodeProxies.get(node);
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
        requireDcs(Dcs.ETCD);
        return dcsProxy != null ? etcd.scheme() + HOST + ":" + dcsProxy.port() : etcd.endpoint();
    }

    /**
     * The {@code HOST:PORT} ZooKeeper clients (such as the driver) should use: through {@link #zooKeeperFaultProxy()}
     * when the cluster has fault proxies, else ZooKeeper's own client port.
     *
     * @return {@code 127.0.0.1:<port>}
     * @throws UnsupportedOperationException if the cluster uses etcd
     */
    public String zooKeeperClientAddress() {
        requireDcs(Dcs.ZOOKEEPER);
        return dcsProxy != null ? HOST + ":" + dcsProxy.port() : zooKeeper.connectString();
    }

    /**
     * The CA that signed ZooKeeper's certificate, for clients' trust ({@code dcsCaFile}); with
     * {@link Builder#zooKeeperTls(boolean)} only.
     *
     * @return the CA certificate (PEM)
     * @throws IllegalStateException if ZooKeeper does not speak TLS
     */
    public Path zooKeeperCaFile() {
        requireDcs(Dcs.ZOOKEEPER);
        if (zooKeeperCa == null) {
            throw new IllegalStateException("this cluster's ZooKeeper does not speak TLS: build it with zooKeeperTls(true)");
        }
        return zooKeeperCa.caFile();
    }

    /**
     * A client certificate (subject {@code CN=pgcluster-reader}) that Patroni's znode ACLs let read; with
     * {@link Builder#zooKeeperAuth(String, String)} only.
     *
     * @return the certificate and its key (PEM)
     * @throws IllegalStateException without zooKeeperAuth
     */
    public Certificates.Issued zooKeeperReaderCertificate() {
        requireDcs(Dcs.ZOOKEEPER);
        if (zooKeeperReader == null) {
            throw new IllegalStateException("this cluster's ZooKeeper has no ACLs: build it with zooKeeperAuth(...)");
        }
        return zooKeeperReader;
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
        requireDcs(Dcs.ZOOKEEPER);
        requireFaultProxies();
        return dcsProxy;
    }

    /**
     * The fault proxy in front of etcd's client port (Patroni does not use it; clients of
     * {@link #etcdClientEndpoint()} do).
     *
     * @return the proxy
     * @throws IllegalStateException if the cluster was built without fault proxies
     */
    public FaultProxy etcdFaultProxy() {
        requireDcs(Dcs.ETCD);
        requireFaultProxies();
        return dcsProxy;
    }

    private void requireFaultProxies() {
        if (dcsProxy == null) {
            throw new IllegalStateException("This cluster has no fault proxies: build it with withFaultProxies(true) "
                    + "(or @ClusterConfig(faultProxies = true))");
        }
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
        return Sql.connect(HOST, node.pgPort(), "postgres", superuser(), superuserPassword(), 3, 30);
    }

    /**
     * The root folder of this cluster's state.
     *
     * @return the base folder
     */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * How long {@link Builder#start()} took until the cluster was healthy.
     *
     * @return the measured bring-up time
     */
    public Duration bringUpTime() {
        return bringUpTime;
    }

    // ----------------------------------------------------------------------------------------------------- health

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
        String what = "cluster '" + spec.scope + "' to be healthy (1 leader + " + (nodes.size() - 1)
                + " streaming replica(s)" + (haProxy == null ? "" : ", HAProxy" + (pgBouncers == null ? "" : "/PgBouncer")
                + " routing") + ")";
        Await.until(what, timeout, Duration.ofMillis(250), this::probeHealthy);
    }

    private PatroniNode probeHealthy() throws Exception {
        for (PatroniNode n : nodes) {
            if (!n.isRunning()) {
                throw new Await.NotYet(n.name() + ": Patroni is not running");
            }
        }
        ClusterView v = view();
        List<String> expected = nodes.stream().map(PatroniNode::name).sorted().collect(Collectors.toList());
        if (!v.names().equals(expected)) {
            throw new Await.NotYet("GET /cluster lists " + v.names() + ", expected " + expected + ": " + v);
        }
        ClusterView.Member lm = v.leader();
        if (lm == null || !lm.isUp()) {
            throw new Await.NotYet("no running leader in GET /cluster: " + v);
        }
        boolean sync = false;
        for (ClusterView.Member m : v.members) {
            if (m != lm && !(m.isReplica() && m.isUp())) {
                throw new Await.NotYet("member " + m.name + " is " + m.role + "/" + m.state + ": " + v);
            }
            sync |= m.isSyncStandby();
        }
        if (spec.synchronousMode && nodes.size() > 1 && !sync) {
            throw new Await.NotYet("no sync_standby yet in synchronous mode: " + v);
        }
        PatroniNode leader = node(lm.name);
        Set<String> streaming = new HashSet<>();
        try (Connection c = connectSuperuser(leader); Statement s = c.createStatement()) {
            if (!"f".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                throw new Await.NotYet(leader.name() + " is leader in the DCS but pg_is_in_recovery() is true");
            }
            try (ResultSet rs = s.executeQuery(
                    "select application_name from pg_stat_replication where state = 'streaming'")) {
                while (rs.next()) {
                    streaming.add(rs.getString(1));
                }
            }
        }
        for (PatroniNode n : nodes) {
            if (n == leader) {
                continue;
            }
            try (Connection c = connectSuperuser(n)) {
                if (!"t".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                    throw new Await.NotYet(n.name() + " is a replica in the DCS but pg_is_in_recovery() is false");
                }
            }
            if (!streaming.contains(n.name())) {
                throw new Await.NotYet("pg_stat_replication on " + leader.name() + " shows " + streaming
                        + " streaming, not yet " + n.name());
            }
        }
        if (haProxy != null) {
            probeRoute("HAProxy write port " + haProxy.writePort(), haProxy.writePort(), leader);
            if (nodes.size() > 1) {
                probeRoute("HAProxy read port " + haProxy.readPort(), haProxy.readPort(), null);
            }
        }
        if (pgBouncers != null) {
            probeRoute("PgBouncer write port " + pgBouncers.writePort(), pgBouncers.writePort(), leader);
            if (nodes.size() > 1) {
                probeRoute("PgBouncer read port " + pgBouncers.readPort(), pgBouncers.readPort(), null);
            }
        }
        return leader;
    }

    /** Checks where a port leads: to {@code leader}, or to some replica when {@code leader} is null. */
    private void probeRoute(String what, int port, PatroniNode leader) throws Await.NotYet {
        Route r;
        try {
            r = route(port);
        } catch (SQLException e) {
            throw new Await.NotYet(what + ": " + e.getMessage());
        }
        if (leader == null && !r.inRecovery) {
            throw new Await.NotYet(what + " reached " + r.node + ", which is not in recovery");
        }
        if (leader != null && (r.inRecovery || !r.node.equals(leader.name()))) {
            throw new Await.NotYet(what + " reached " + r.node + (r.inRecovery ? " (in recovery)" : "")
                    + ", not the leader " + leader.name());
        }
    }

    /** Where a new app-user connection through a port (HAProxy, PgBouncer, proxy, node) ends up. */
    static final class Route {
        final String node;
        final boolean inRecovery;

        Route(String node, boolean inRecovery) {
            this.node = node;
            this.inRecovery = inRecovery;
        }

        @Override
        public String toString() {
            return node + (inRecovery ? " (replica)" : " (primary)");
        }
    }

    Route route(int port) throws SQLException {
        try (Connection c = Sql.connect(HOST, port, database(), user(), password(), 3, 5);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            int serverPort = rs.getInt(1);
            boolean inRecovery = rs.getBoolean(2);
            String reached = nodes.stream().filter(n -> n.pgPort() == serverPort).map(PatroniNode::name).findFirst()
                    .orElse("port " + serverPort);
            return new Route(reached, inRecovery);
        }
    }

    // ------------------------------------------------------------------------------------------------- operations

    /**
     * Planned switchover to any healthy replica (Patroni picks it), through {@code POST /switchover} on the leader.
     *
     * @return the new leader, once it accepts writes ({@code pg_is_in_recovery()} false)
     * @throws TestkitException if Patroni refuses or the switchover does not complete within 60 s
     */
    public PatroniNode switchover() {
        return doSwitchover(null);
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
        return doSwitchover(candidate);
    }

    private PatroniNode doSwitchover(String candidate) {
        control.lock();
        try {
            ensureOpen();
            long t0 = System.nanoTime();
            PatroniNode old = leader();
            if (old.name().equals(candidate)) {
                throw new IllegalArgumentException(candidate + " is already the leader");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("leader", old.name());
            if (candidate != null) {
                body.put("candidate", candidate);
            }
            String what = "switchover from " + old.name() + (candidate == null ? "" : " to " + candidate);
            // Patroni refuses (412/503) while no replica is healthy enough; a just-restored cluster can need a moment.
            Await.until(what + " to be accepted by POST /switchover", OP_TIMEOUT, Duration.ofSeconds(1), () -> {
                PatroniRest.Response r = rest.send("POST", old.restUrl() + "/switchover", Json.write(body),
                        Duration.ofSeconds(45));
                if (r.ok()) {
                    return Boolean.TRUE;
                }
                ClusterView.Member now = view().leader();
                if (now != null && !now.name.equals(old.name())) {
                    return Boolean.TRUE;
                }
                throw new Await.NotYet("POST /switchover on " + old.name() + ": " + r);
            });
            PatroniNode now = awaitLeaderOtherThan(old.name(), OP_TIMEOUT);
            if (candidate != null && !now.name().equals(candidate)) {
                throw new TestkitException("Patroni switched over to " + now.name() + " instead of " + candidate);
            }
            log.info("switchover {} -> {} done in {}", old.name(), now.name(), Await.millisSince(t0));
            return now;
        } finally {
            control.unlock();
        }
    }

    /**
     * Kills the current leader with SIGKILL (Patroni, then the postmaster and its children; see
     * {@link PatroniNode#kill9()}). Nothing is restarted; the replicas elect a new leader after the leader key's TTL.
     *
     * @return the killed node
     */
    public PatroniNode killPrimary() {
        control.lock();
        try {
            ensureOpen();
            PatroniNode l = leader();
            l.kill9();
            return l;
        } finally {
            control.unlock();
        }
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
        return Await.until("a writable leader other than " + oldLeader, timeout, () -> {
            PatroniNode l = probeWritableLeader();
            if (l.name().equals(oldLeader)) {
                throw new Await.NotYet(oldLeader + " is still the leader");
            }
            return l;
        });
    }

    /**
     * Puts the cluster in maintenance mode ({@code PATCH /config {"pause": true}}) and waits until every running
     * member reports it in {@code GET /patroni}. While paused Patroni neither fails over nor restarts PostgreSQL.
     */
    public void pause() {
        control.lock();
        try {
            ensureOpen();
            patchConfig(Map.of("pause", true));
            awaitPause(true);
        } finally {
            control.unlock();
        }
    }

    /** Ends maintenance mode ({@code PATCH /config {"pause": null}}) and waits until every running member reports it. */
    public void resume() {
        control.lock();
        try {
            ensureOpen();
            Map<String, Object> patch = new HashMap<>();
            patch.put("pause", null);
            patchConfig(patch);
            awaitPause(false);
        } finally {
            control.unlock();
        }
    }

    private void awaitPause(boolean paused) {
        Await.until("every running member to report pause=" + paused + " in GET /patroni", OP_TIMEOUT, () -> {
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                Map<String, Object> status = Json.parseObject(rest.get(n.restUrl() + "/patroni", REST_TIMEOUT).body);
                boolean p = Boolean.TRUE.equals(status.get("pause"));
                if (p != paused) {
                    throw new Await.NotYet(n.name() + " reports pause=" + p);
                }
            }
            return Boolean.TRUE;
        });
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
        control.lock();
        try {
            ensureOpen();
            patchConfig(patch);
        } finally {
            control.unlock();
        }
    }

    private void patchConfig(Map<String, Object> patch) {
        String body = Json.write(patch);
        Await.until("PATCH /config " + body, OP_TIMEOUT, Duration.ofMillis(500), () -> {
            List<String> errors = new ArrayList<>();
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                PatroniRest.Response r = rest.send("PATCH", n.restUrl() + "/config", body, Duration.ofSeconds(10));
                if (r.ok()) {
                    log.info("dynamic config patched through {}: {}", n.name(), body);
                    return Boolean.TRUE;
                }
                errors.add(n.name() + ": " + r);
            }
            throw new Await.NotYet(errors.isEmpty() ? "no Patroni is running" : String.join("; ", errors));
        });
        // Each Patroni answers GET /config from its own view of the DCS, refreshed once per loop: wait until every
        // running member shows the change, so that callers can read their own write from any of them.
        Await.until("every Patroni to show the patched config " + body, OP_TIMEOUT, Duration.ofMillis(100), () -> {
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                PatroniRest.Response r = rest.get(n.restUrl() + "/config", REST_TIMEOUT);
                if (!r.ok()) {
                    throw new Await.NotYet(n.name() + ": " + r);
                }
                Map<String, Object> shown = Json.parseObject(r.body);
                for (Map.Entry<String, Object> e : patch.entrySet()) {
                    Object want = e.getValue();
                    if (want instanceof Map) {
                        continue; // nested sections: top-level values suffice to see the patch arrived
                    }
                    Object got = shown.get(e.getKey());
                    if (!String.valueOf(want).equals(String.valueOf(got))) {
                        throw new Await.NotYet(n.name() + " shows " + e.getKey() + "=" + got);
                    }
                }
            }
            return Boolean.TRUE;
        });
    }

    /**
     * Patroni's dynamic configuration, {@code GET /config} from the first node that answers.
     *
     * @return the configuration (nested maps; integers as {@code Long})
     * @throws TestkitException if no REST API answers
     */
    public Map<String, Object> dynamicConfig() {
        List<String> errors = new ArrayList<>();
        for (PatroniNode n : nodes) {
            if (!n.isRunning()) {
                continue;
            }
            try {
                PatroniRest.Response r = rest.get(n.restUrl() + "/config", REST_TIMEOUT);
                if (r.ok()) {
                    return Collections.unmodifiableMap(Json.parseObject(r.body));
                }
                errors.add(n.name() + ": " + r);
            } catch (IOException e) {
                errors.add(n.name() + ": " + e);
            }
        }
        throw new TestkitException("No Patroni REST API answered GET /config: " + String.join("; ", errors));
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
        control.lock();
        try {
            ensureOpen();
            long t0 = System.nanoTime();
            List<String> actions = new ArrayList<>();
            if (!lags.isEmpty()) {
                actions.add("ended " + lags.size() + " induced lag(s)");
                endLags();
            }
            if (dcsProxy != null) {
                dcsProxy.pass();
                nodeProxies.values().forEach(FaultProxy::pass);
            }
            if (etcd != null && !etcd.isRunning()) {
                actions.add("started etcd");
                etcd.start();
            }
            if (zooKeeper != null && !zooKeeper.isRunning()) {
                actions.add("started ZooKeeper");
                zooKeeper.start();
            }
            for (ManagedProcess p : auxiliaryProcesses()) {
                if (!p.isAlive()) {
                    log.warn("{} had exited; restarting it. Log tail:\n{}", p.name(), p.tail(20));
                    actions.add("restarted " + p.name());
                    p.start();
                }
            }
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    actions.add("started " + n.name());
                    n.start();
                }
            }
            Map<String, Object> current = Await.until("GET /config to answer", timeout, () -> {
                try {
                    return dynamicConfig();
                } catch (TestkitException e) {
                    throw new Await.NotYet(e.getMessage());
                }
            });
            Map<String, Object> patch = Json.mergePatch(current, baselineConfig);
            if (!patch.isEmpty()) {
                actions.add("restored dynamic config " + Json.write(patch));
                patchConfig(patch);
                if (Boolean.TRUE.equals(current.get("pause"))) {
                    awaitPause(false);
                }
            }
            awaitHealthy(timeout.minusNanos(System.nanoTime() - t0));
            if (!actions.isEmpty()) {
                log.info("cluster restored in {}: {}", Await.millisSince(t0), String.join(", ", actions));
            }
        } finally {
            control.unlock();
        }
    }

    void register(LagHandle lag) {
        lags.add(lag);
    }

    private void endLags() {
        for (LagHandle l : lags) {
            l.close();
        }
        lags.clear();
    }

    private List<ManagedProcess> auxiliaryProcesses() {
        List<ManagedProcess> l = new ArrayList<>();
        if (haProxy != null) {
            l.add(haProxy.process());
        }
        if (pgBouncers != null) {
            l.add(pgBouncers.writeProcess());
            l.add(pgBouncers.readProcess());
        }
        return l;
    }

    private List<ManagedProcess> allProcesses() {
        List<ManagedProcess> l = new ArrayList<>();
        l.add(dcsProcess());
        nodes.forEach(n -> l.add(n.patroni()));
        l.addAll(auxiliaryProcesses());
        return l;
    }

    /** Every live process of this cluster: servers, postmasters and their children. */
    List<ProcessHandle> processes() {
        List<ProcessHandle> l = new ArrayList<>();
        for (ManagedProcess p : allProcesses()) {
            p.handle().filter(ProcessHandle::isAlive).ifPresent(h -> l.addAll(Signals.tree(h)));
        }
        for (PatroniNode n : nodes) {
            n.postmaster().ifPresent(h -> l.addAll(Signals.tree(h)));
        }
        return l;
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The Patroni cluster in " + baseDir + " is closed");
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
        for (ManagedProcess p : allProcesses()) {
            b.append("\n===== ").append(p.name()).append(" (").append(p.logFile()).append("), last ").append(lines)
                    .append(" lines =====\n");
            for (String line : LogTail.tail(p.logFile(), lines)) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
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
        endLags();
        nodeProxies.values().forEach(FaultProxy::close);
        if (dcsProxy != null) {
            dcsProxy.close();
        }
        List<ProcessHandle> all = processes();
        for (ManagedProcess p : auxiliaryProcesses()) {
            p.handle().ifPresent(h -> Signals.send(h, "TERM"));
        }
        for (PatroniNode n : nodes) {
            Optional<ProcessHandle> pm = n.postmaster();
            n.patroni().handle().ifPresent(h -> Signals.send(h, "KILL"));
            pm.ifPresent(h -> Signals.send(h, "QUIT"));
        }
        dcsProcess().handle().ifPresent(h -> Signals.send(h, "TERM"));
        List<ProcessHandle> left = Signals.awaitGone(all, Duration.ofSeconds(15));
        if (!left.isEmpty()) {
            log.warn("still running 15 s after the stop signals, sending SIGKILL: {}", left);
            left = Signals.killAll(left);
        }
        for (PatroniNode n : nodes) {
            if (n.postmasterKilled()) {
                String shmid = n.sysvSharedMemoryId();
                if (shmid != null) {
                    RunAs.run(List.of("ipcrm", "-m", shmid)); // the segment of a SIGKILLed postmaster, if still there
                }
            }
        }
        if (Setting.KEEP_DIR.isTrue()) {
            registry.markClosed();
            log.info("keeping {} (-D{}=true)", baseDir, Setting.KEEP_DIR.property());
        } else {
            RunRegistry.deleteTree(baseDir);
        }
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
        return "PatroniCluster[" + spec + ", " + baseDir + (closed.get() ? ", closed" : "") + "]";
    }
}
