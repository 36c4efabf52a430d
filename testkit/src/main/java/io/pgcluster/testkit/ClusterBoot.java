package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starting and stopping a cluster's processes in the order they depend on each other: the DCS first, then the
 * Patroni nodes, HAProxy and PgBouncer; ready once a leader accepts writes, the {@code app} role and database exist
 * and the cluster is healthy. Stopping is fast rather than graceful, always by PID.
 */
final class ClusterBoot {
    private static final Logger log = LoggerFactory.getLogger(PatroniCluster.class);

    private ClusterBoot() {
    }

    static Path prepareBaseDir(Path requested, Path tmp) {
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

    /** Starts everything and waits until the cluster is ready; returns how long that took. */
    static Duration boot(ClusterParts parts, ClusterReads reads, ClusterHealth health) {
        ClusterSpec spec = parts.spec;
        List<PatroniNode> nodes = parts.nodes;
        EtcdServer etcd = parts.etcd;
        HaProxy haProxy = parts.haProxy;
        PgBouncerPair pgBouncers = parts.pgBouncers;
        long t0 = System.nanoTime();
        Duration timeout = Duration.ofSeconds(spec.startTimeoutSeconds);
        log.info("starting Patroni cluster '{}' ({}) in {}, servers running as {}", spec.scope, spec, parts.baseDir,
                parts.runAs.user());
        parts.dcsProcess().start();
        if (etcd != null) {
            etcd.awaitHealthy();
            if (spec.etcdAuth) {
                etcd.enableAuth(spec.namespace.replaceAll("/*$", "/"));
            }
        } else {
            parts.dcsServer().awaitHealthy();
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
        if (parts.nodePoolers != null) {
            parts.nodePoolers.processes().forEach(ManagedProcess::start);
        }
        if (parts.monitoring != null) {
            parts.monitoring.startExporters();
        }
        PatroniNode leader = Await.until("a leader that accepts writes", timeout, reads::probeWritableLeader);
        long tLeader = System.nanoTime();
        createAppRoleAndDatabase(parts, leader);
        health.awaitHealthy(timeout.minusNanos(System.nanoTime() - t0));
        for (PatroniNode n : nodes) {
            Await.until("user " + Secrets.APP_USER + " to log in to database " + Secrets.APP_DATABASE + " on " + n.name(),
                    ClusterReads.OP_TIMEOUT, () -> {
                        try (Connection c = Sql.connect(PatroniCluster.HOST, n.pgPort(), Secrets.APP_DATABASE,
                                Secrets.APP_USER, parts.secrets.appPassword, 3, 10)) {
                            return Sql.scalar(c, "select 1");
                        }
                    });
        }
        health.recordBaseline();
        Duration bringUpTime = Duration.ofNanos(System.nanoTime() - t0);
        log.info("cluster '{}' healthy in {} ms ({} {} ms, first leader {} ms): leader {}, {}{}", spec.scope,
                bringUpTime.toMillis(), spec.dcs, (tEtcd - t0) / 1_000_000,
                (tLeader - t0) / 1_000_000, reads.leader().name(),
                nodes.stream().map(PatroniNode::toString).collect(Collectors.joining(", ")),
                haProxy == null ? "" : ", " + haProxy + (pgBouncers == null ? "" : ", " + pgBouncers));
        return bringUpTime;
    }

    private static void createAppRoleAndDatabase(ClusterParts parts, PatroniNode leader) {
        Await.until("role and database '" + Secrets.APP_DATABASE + "' to be created on " + leader.name(),
                ClusterReads.OP_TIMEOUT, () -> {
                    try (Connection c = parts.connectSuperuser(leader); Statement s = c.createStatement()) {
                        if (Sql.scalar(c, "select 1 from pg_roles where rolname = '" + Secrets.APP_USER + "'") == null) {
                            // pg_monitor includes pg_read_all_stats: the app user sees all of pg_stat_activity.
                            s.execute("create role " + Secrets.APP_USER + " login password '" + parts.secrets.appPassword
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

    /**
     * Closes the proxies, signals every process (see {@link PatroniCluster#close()}), frees the shared memory of
     * SIGKILLed postmasters and deletes (or keeps) the folder.
     *
     * @return the processes that survived SIGKILL, normally none
     */
    static List<ProcessHandle> stop(ClusterParts parts) {
        parts.nodeProxies.values().forEach(FaultProxy::close);
        if (parts.dcsProxy != null) {
            parts.dcsProxy.close();
        }
        List<ProcessHandle> all = parts.processes();
        for (ManagedProcess p : parts.auxiliaryProcesses()) {
            p.handle().ifPresent(h -> Signals.send(h, "TERM"));
        }
        for (PatroniNode n : parts.nodes) {
            Optional<ProcessHandle> pm = n.postmaster();
            n.patroni().handle().ifPresent(h -> Signals.send(h, "KILL"));
            pm.ifPresent(h -> Signals.send(h, "QUIT"));
        }
        parts.dcsProcess().handle().ifPresent(h -> Signals.send(h, "TERM"));
        List<ProcessHandle> left = Signals.awaitGone(all, Duration.ofSeconds(15));
        if (!left.isEmpty()) {
            log.warn("still running 15 s after the stop signals, sending SIGKILL: {}", left);
            left = Signals.killAll(left);
        }
        for (PatroniNode n : parts.nodes) {
            if (n.postmasterKilled()) {
                String shmid = n.sysvSharedMemoryId();
                if (shmid != null) {
                    RunAs.run(List.of("ipcrm", "-m", shmid)); // the segment of a SIGKILLed postmaster, if still there
                }
            }
        }
        if (Setting.KEEP_DIR.isTrue()) {
            parts.registry.markClosed();
            log.info("keeping {} (-D{}=true)", parts.baseDir, Setting.KEEP_DIR.property());
        } else {
            RunRegistry.deleteTree(parts.baseDir);
        }
        return left;
    }
}
