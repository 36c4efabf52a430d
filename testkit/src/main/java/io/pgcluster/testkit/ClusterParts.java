package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one cluster is made of: its processes (not yet started), proxies, certificates and secrets, created from a
 * {@link ClusterSpec} in the cluster's folder. Creating it checks that every binary the spec needs is installed, picks
 * free ports and writes every configuration file; {@link ClusterBoot} starts and stops the processes.
 *
 * <p>Immutable after construction; the components it holds are thread-safe.
 */
final class ClusterParts {
    private static final String HOST = PatroniCluster.HOST;

    final ClusterSpec spec;
    final Path baseDir;
    final RunAs runAs;
    final Secrets secrets = new Secrets();
    final PatroniRest rest; // to Patroni's REST API: https, client certificate, credentials as spec.rest says
    final Certificates restCertificates; // null unless spec.rest.tls()
    final Certificates.Issued restClientCertificate; // null unless spec.rest.tls()
    final String restPassword; // null unless spec.rest.auth()
    final RunRegistry registry;
    final EtcdServer etcd; // null with Dcs.ZOOKEEPER
    final ZooKeeperServer zooKeeper; // null unless Dcs.ZOOKEEPER
    final ConsulServer consul; // null unless Dcs.CONSUL
    final FaultProxy dcsProxy; // in front of the DCS's client port, for clients; null without fault proxies
    final Certificates zooKeeperCa; // null unless zooKeeperTls
    final Certificates.Issued zooKeeperReader; // null unless zooKeeperAuth
    final List<PatroniNode> nodes;
    final Map<PatroniNode, FaultProxy> nodeProxies;
    final HaProxy haProxy; // null without HAProxy
    final PgBouncerPair pgBouncers; // null without PgBouncer
    final NodePoolers nodePoolers; // null without poolerPerNode
    final Certificates postgresCa; // null without PostgreSQL TLS
    final Monitoring monitoring; // null without monitoring

    ClusterParts(PatroniCluster cluster, ClusterSpec spec, Path baseDir) {
        this.spec = spec;
        this.baseDir = baseDir;
        this.runAs = RunAs.detect();
        Installed bin = new Installed(spec); // the install check: fails before anything is written
        boolean zk = spec.dcs == Dcs.ZOOKEEPER;
        boolean consulDcs = spec.dcs == Dcs.CONSUL;

        this.registry = new RunRegistry(baseDir);
        int n = spec.nodes;
        int[] ports = Ports.allocate(2 + 2 * n + (spec.haProxy ? 3 : 0) + (spec.pgBouncer ? 2 : 0) + (spec.poolerPerNode ? n : 0)
                + (consulDcs ? 2 : 0));
        int next = 0;
        int dcsClientPort = ports[next++];
        int etcdPeerPort = ports[next++]; // etcd's peer port, Consul's server (RPC) port; unused with ZooKeeper
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
                    writeKeyPem(haProxyClientPem, restClientCertificate);
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
        String consulSection = null; // Patroni's consul: section
        try {
            if (consulDcs) {
                Path dir = mkdir(baseDir.resolve("consul"));
                Certificates ca = spec.consulTls ? Certificates.create(dir.resolve("tls")) : null;
                ConsulServer.Acl acl = spec.consulAcl ? ConsulServer.Acl.random() : null;
                Path cfg = dir.resolve("consul.json");
                write(cfg, ConsulServer.configJson(dcsClientPort, etcdPeerPort, ports[next++], ports[next++],
                        ca == null ? null : ca.server("consul", List.of("localhost"), List.of(HOST)),
                        ca == null ? null : ca.caFile(), acl));
                Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------")); // the tokens
                ManagedProcess p = new ManagedProcess("consul", ConsulServer.command(bin.consul, cfg), dir,
                        dir.resolve("consul.log"), home, runAs, h -> registry.record(h, "consul"));
                this.consul = new ConsulServer(p, dcsClientPort, ConsulServer.keyPrefix(spec.namespace, spec.scope),
                        ca, acl);
                consulSection = ConsulServer.patroniSection(HOST + ":" + dcsClientPort,
                        ca == null ? null : ca.caFile(), acl == null ? null : acl.patroni());
                this.zooKeeper = null;
                this.zooKeeperCa = null;
                this.zooKeeperReader = null;
                this.etcd = null;
            } else if (zk) {
                Path zkDir = mkdir(baseDir.resolve("zookeeper"));
                Path zkData = mkdir(zkDir.resolve("data"));
                Path zooCfg = zkDir.resolve("zoo.cfg");
                if (spec.zooKeeperTls) {
                    Certificates ca = Certificates.create(zkDir.resolve("tls"));
                    Certificates.Issued server = ca.server("zookeeper", List.of("localhost"), List.of(HOST));
                    Certificates.Issued patroni = ca.client("patroni");
                    Path serverPem = zkDir.resolve("tls").resolve("zookeeper.pem");
                    writeKeyPem(serverPem, server);
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
                        Configs.zooKeeperCommand(bin.java, bin.zooKeeperJar, zooCfg, spec.zooKeeperTls), zkDir,
                        zkDir.resolve("zookeeper.log"), home, runAs, h -> registry.record(h, "zookeeper"));
                this.zooKeeper = new ZooKeeperServer(zkProcess, dcsClientPort, zkTls == null ? null : zkTls.ca());
                this.etcd = null;
                this.consul = null;
            } else {
                Path etcdDir = mkdir(baseDir.resolve("etcd"));
                etcdSecurity = EtcdSecurity.of(spec, baseDir.resolve("tls"));
                ManagedProcess etcdProcess = new ManagedProcess("etcd",
                        Configs.etcdCommand(bin.etcd, spec.scope, etcdDir.resolve("data"), dcsClientPort, etcdPeerPort,
                                etcdSecurity),
                        etcdDir, etcdDir.resolve("etcd.log"), home, runAs, h -> registry.record(h, "etcd"));
                this.etcd = new EtcdServer(etcdProcess, dcsClientPort, new PatroniRest(), etcdSecurity,
                        bin.etcd.resolveSibling("etcdctl"));
                this.zooKeeper = null;
                this.zooKeeperCa = null;
                this.zooKeeperReader = null;
                this.consul = null;
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
                        nodeDir.resolve("pgpass"), bin.pgBinDir, secrets, etcdSecurity, zkTls,
                        postgresCa == null ? null : postgresCa.server(name, List.of("localhost"), List.of(HOST)),
                        restApiSecurity, consulSection));
                ManagedProcess p = new ManagedProcess(name, Configs.patroniCommand(spec.patroniVersion, bin.python,
                        bin.patroni, bin.patroni4Root, yml), nodeDir, nodeDir.resolve("patroni.log"), home, runAs,
                        h -> registry.record(h, name));
                PatroniNode node = new PatroniNode(cluster, name, pgPort, connectPort, restPort, dataDir, p);
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
                ManagedProcess p = new ManagedProcess("haproxy", List.of(bin.haproxy.toString(), "-f", cfg.toString(),
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
                        pgbouncer("write", write, haProxy.writePort(), dir, users, bin.pgbouncer, home),
                        pgbouncer("read", read, haProxy.readPort(), dir, users, bin.pgbouncer, home));
            } else {
                this.pgBouncers = null;
            }
            this.nodePoolers = spec.poolerPerNode ? NodePoolers.create(nodes, java.util.Arrays.copyOfRange(ports,
                    next, next + n), baseDir.resolve("pgbouncer-nodes"), secrets, bin.pgbouncer, home, runAs, registry)
                    : null;
            if (spec.localWalArchive) {
                mkdir(baseDir.resolve(Configs.LOCAL_WAL_ARCHIVE));
            }
            this.monitoring = spec.monitoring ? monitoring(bin, backends, home) : null;
            runAs.own(baseDir);
        } catch (IOException | RuntimeException e) {
            proxiesSoFar.forEach(FaultProxy::close);
            throw e instanceof RuntimeException ? (RuntimeException) e
                    : new TestkitException("Cannot write the cluster's files in " + baseDir + ": " + e, e);
        }
    }

    /**
     * The exporters (one postgres_exporter per node, one pgbouncer_exporter per PgBouncer), Prometheus (not started
     * here) and the target files that tell Prometheus about them, the Patroni REST APIs and HAProxy's exporter.
     */
    private Monitoring monitoring(Installed bin, List<Configs.Backend> backends, Path home) throws IOException {
        Path dir = mkdir(baseDir.resolve("monitoring"));
        List<Monitoring.Bouncer> bouncers = Monitoring.bouncers(spec.scope, pgBouncers.writePort(),
                pgBouncers.readPort(), nodePoolers == null ? Map.of() : nodePoolers.ports());
        int[] ports = Ports.allocate(backends.size() + bouncers.size() + 1);
        int next = 0;
        Path pgPassword = dir.resolve("postgres-exporter.password");
        // the app role is in pg_monitor, all postgres_exporter needs; it exists once the first leader is up, and the
        // exporter connects at each scrape, so the first scrapes of a fresh rig may report pg_up 0
        Monitoring.writeSecret(pgPassword, secrets.appPassword);
        List<ManagedProcess> exporters = new ArrayList<>();
        List<Monitoring.Target> patroni = new ArrayList<>();
        List<Monitoring.Target> postgres = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            PatroniNode node = nodes.get(i);
            int port = ports[next++];
            String name = "postgres-exporter-" + node.name();
            exporters.add(new ManagedProcess(name, Monitoring.postgresExporterCommand(bin.postgresExporter,
                    node.pgPort(), port, Secrets.APP_USER, pgPassword), dir, dir.resolve(name + ".log"), home, runAs,
                    h -> registry.record(h, name)));
            Map<String, String> labels = Map.of("cluster", spec.scope, "member", node.name());
            postgres.add(new Monitoring.Target(List.of(HOST + ":" + port), labels));
            patroni.add(new Monitoring.Target(List.of(HOST + ":" + node.restPort()), labels));
        }
        Path compat = Monitoring.writeCompatWrapper(dir);
        List<Monitoring.Target> pgbouncer = new ArrayList<>();
        for (Monitoring.Bouncer b : bouncers) {
            Path pgpass = dir.resolve("pgbouncer-exporter-" + b.name() + ".pgpass");
            Monitoring.writeSecret(pgpass, HOST + ":" + b.port() + ":pgbouncer:" + Secrets.SUPERUSER + ":"
                    + secrets.superuserPassword + "\n");
            int port = ports[next++];
            String name = "pgbouncer-exporter-" + b.name();
            exporters.add(new ManagedProcess(name, Monitoring.pgbouncerExporterCommand(bin.python, compat,
                    b.port(), port, Secrets.SUPERUSER, pgpass), dir, dir.resolve(name + ".log"), home, runAs,
                    h -> registry.record(h, name)));
            pgbouncer.add(new Monitoring.Target(List.of(HOST + ":" + port), b.labels()));
        }
        int prometheusPort = ports[next++];
        Monitoring.writeTargets(dir, "patroni.yml", patroni);
        Monitoring.writeTargets(dir, "postgres.yml", postgres);
        Monitoring.writeTargets(dir, "pgbouncer.yml", pgbouncer);
        Monitoring.writeTargets(dir, "haproxy.yml", List.of(new Monitoring.Target(
                List.of(HOST + ":" + haProxy.statsPort()), Map.of("cluster", spec.scope))));
        Monitoring.writeTargets(dir, "pgcluster.yml", List.of());
        ManagedProcess prometheus = new ManagedProcess("prometheus", Monitoring.prometheusCommand(bin.prometheus,
                dir, prometheusPort), dir, dir.resolve("prometheus.log"), home, runAs,
                h -> registry.record(h, "prometheus"));
        return new Monitoring(dir, prometheusPort, exporters, prometheus);
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

    /** Certificate and key in one owner-only file, the form HAProxy and ZooKeeper read. */
    private static void writeKeyPem(Path file, Certificates.Issued issued) throws IOException {
        write(file, Files.readString(issued.cert()) + Files.readString(issued.key()));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * The programs a spec needs. Resolving them is the install check: a missing one fails here, with a
     * TestkitException naming the setting that points to it, before any file is written or process started.
     */
    private static final class Installed {
        final Path python;
        final Path patroni; // null with Patroni 4
        final Path patroni4Root; // null with Patroni 3
        final Path pgBinDir;
        final Path etcd; // null unless Dcs.ETCD
        final Path consul; // null unless Dcs.CONSUL
        final Path java; // null with etcd
        final Path zooKeeperJar; // null with etcd
        final Path haproxy; // null without HAProxy
        final Path pgbouncer; // null without PgBouncer
        final Path prometheus; // null without monitoring
        final Path postgresExporter; // null without monitoring

        Installed(ClusterSpec spec) {
            boolean zk = spec.dcs == Dcs.ZOOKEEPER;
            this.python = Setting.PYTHON.executable();
            this.patroni = spec.patroniVersion == 3 ? Setting.PATRONI.executable() : null;
            this.patroni4Root = spec.patroniVersion == 4 ? Setting.PATRONI4_ROOT.executable() : null;
            this.etcd = spec.dcs == Dcs.ETCD ? Setting.ETCD.executable() : null;
            this.consul = spec.dcs == Dcs.CONSUL ? Setting.CONSUL.executable() : null;
            this.java = zk ? Setting.JAVA.executable() : null;
            this.zooKeeperJar = zk ? Setting.ZOOKEEPER_JAR.executable() : null;
            this.pgBinDir = Setting.PG_BIN_DIR.executable();
            Setting.pgTool("postgres");
            Setting.pgTool("initdb");
            this.haproxy = spec.haProxy ? Setting.HAPROXY.executable() : null;
            this.pgbouncer = spec.pgBouncer || spec.poolerPerNode ? Setting.PGBOUNCER.executable() : null;
            this.prometheus = spec.monitoring ? Setting.PROMETHEUS.executable() : null;
            this.postgresExporter = spec.monitoring ? Setting.POSTGRES_EXPORTER.executable() : null;
            if (spec.monitoring) {
                Setting.PGBOUNCER_EXPORTER.executable(); // installed: its Python package is what the wrapper runs
            }
        }
    }

    /** The node with this name; IllegalArgumentException naming the nodes if there is none. */
    PatroniNode node(String name) {
        for (PatroniNode n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("No node named '" + name + "'; the nodes are "
                + nodes.stream().map(PatroniNode::name).collect(Collectors.joining(", ")));
    }

    void requireDcs(Dcs wanted) {
        if (spec.dcs != wanted) {
            throw new UnsupportedOperationException("This cluster uses " + spec.dcs + " as its DCS, not " + wanted
                    + ": build it with dcs(Dcs." + wanted + ") (or @ClusterConfig(dcs = Dcs." + wanted + "))");
        }
    }

    void requireFaultProxies() {
        if (dcsProxy == null) {
            throw new IllegalStateException("This cluster has no fault proxies: build it with withFaultProxies(true) "
                    + "(or @ClusterConfig(faultProxies = true))");
        }
    }

    Certificates requirePostgresTls() {
        if (postgresCa == null) {
            throw new IllegalStateException("This cluster runs PostgreSQL without TLS: build it with "
                    + "postgresTls(true) (or @ClusterConfig(postgresTls = true))");
        }
        return postgresCa;
    }

    ManagedProcess dcsProcess() {
        return dcsServer().process();
    }

    /** The cluster's DCS server, whichever it is. */
    DcsServer dcsServer() {
        return etcd != null ? etcd : zooKeeper != null ? zooKeeper : consul;
    }

    /** See {@link PatroniCluster#connectSuperuser(PatroniNode)}. */
    Connection connectSuperuser(PatroniNode node) throws SQLException {
        return Sql.connect(HOST, node.pgPort(), "postgres", Secrets.SUPERUSER, secrets.superuserPassword, 3, 30);
    }

    List<ManagedProcess> auxiliaryProcesses() {
        List<ManagedProcess> l = new ArrayList<>();
        if (haProxy != null) {
            l.add(haProxy.process());
        }
        if (pgBouncers != null) {
            l.add(pgBouncers.writeProcess());
            l.add(pgBouncers.readProcess());
        }
        if (nodePoolers != null) {
            l.addAll(nodePoolers.processes());
        }
        if (monitoring != null) {
            l.addAll(monitoring.processes());
        }
        return l;
    }

    List<ManagedProcess> allProcesses() {
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
}
