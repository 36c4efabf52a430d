package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a {@link PatroniCluster}: a Patroni process and the PostgreSQL 15 it manages, named {@code pg1},
 * {@code pg2}, ... Ports are fixed for the node's lifetime, also across {@link #stop()} / {@link #start()}.
 *
 * <p>Thread-safe: process control (stop, start, kill9) is serialized per node.
 *
 * <pre>{@code
 * PatroniNode replica = cluster.replicas().get(0);
 * replica.stop();                 // graceful: Patroni stops PostgreSQL and removes its member key
 * replica.start();                // same data directory; it rejoins as a replica
 * try (LagHandle lag = cluster.replicas().get(0).induceLag()) {
 *   // the replica stops receiving WAL until the handle is closed
 * }
 * }</pre>
 */
public final class PatroniNode {
    private static final Logger log = LoggerFactory.getLogger(PatroniNode.class);

    private final Object lock = new Object();
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final PatroniCluster cluster;
    private final String name;
    private final int pgPort;
    private final int connectPort;
    private final int restPort;
    private final Path dataDir;
    private final ManagedProcess patroni;
    private volatile boolean postmasterKilled;

    PatroniNode(PatroniCluster cluster, String name, int pgPort, int connectPort, int restPort, Path dataDir,
            ManagedProcess patroni) {
        this.cluster = cluster;
        this.name = name;
        this.pgPort = pgPort;
        this.connectPort = connectPort;
        this.restPort = restPort;
        this.dataDir = dataDir;
        this.patroni = patroni;
    }

    /**
     * The member name, {@code pg1} ... {@code pgN}.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Always {@code 127.0.0.1}.
     *
     * @return the host of every port of this node
     */
    public String host() {
        return PatroniCluster.HOST;
    }

    /**
     * The port PostgreSQL really listens on.
     *
     * @return the PostgreSQL port
     */
    public int pgPort() {
        return pgPort;
    }

    /**
     * The port Patroni publishes in the DCS ({@code conn_url}) and in {@code GET /cluster}: the port of this node's
     * {@link FaultProxy} when the cluster was built {@code withFaultProxies(true)}, else {@link #pgPort()}. Replicas
     * stream from the leader through it, and HAProxy forwards to it.
     *
     * @return the published port
     */
    public int connectPort() {
        return connectPort;
    }

    /**
     * The port of this node's Patroni REST API.
     *
     * @return the REST port
     */
    public int restPort() {
        return restPort;
    }

    /**
     * {@code http://127.0.0.1:<restPort>}, or {@code https://...} with {@link PatroniClusterBuilder#restTls(boolean)}.
     *
     * @return the REST API's base URL
     */
    public String restUrl() {
        return cluster.restScheme() + "://" + PatroniCluster.HOST + ":" + restPort;
    }

    /**
     * Whether this node's Patroni process is alive (PostgreSQL may still be starting).
     *
     * @return true if Patroni runs
     */
    public boolean isRunning() {
        return patroni.isAlive();
    }

    /**
     * Gracefully stops Patroni (SIGTERM) and waits until it exits (about 2.5 s here). Patroni stops PostgreSQL (fast
     * mode) and deletes the leader key if it held it, so the replicas elect a new leader at once; its member key is
     * not deleted but marked {@code "state": "stopped"} and expires with its lease after ttl (Patroni 3.0.2). After
     * 60 s Patroni and PostgreSQL are killed. No-op if Patroni is not running.
     */
    public void stop() {
        synchronized (lock) {
            stopLocked();
        }
    }

    private void stopLocked() {
        if (!isRunning()) {
            return;
        }
        long t0 = System.nanoTime();
        Optional<ProcessHandle> postmaster = postmaster();
        boolean clean = patroni.stop("TERM", STOP_TIMEOUT);
        postmaster.ifPresent(pm -> {
            if (!Signals.awaitGone(List.of(pm), Duration.ofSeconds(10)).isEmpty()) {
                log.warn("{}: postmaster {} outlived Patroni; sending SIGQUIT", name, pm.pid());
                Signals.send(pm, "QUIT");
                if (!Signals.awaitGone(List.of(pm), Duration.ofSeconds(10)).isEmpty()) {
                    Signals.killAll(Signals.tree(pm));
                    postmasterKilled = true;
                }
            }
        });
        log.info("{} stopped{} in {}", name, clean ? "" : " (killed after timeout)", Await.millisSince(t0));
    }

    /**
     * Starts Patroni again with the same configuration and data directory. Returns once the process runs; use
     * {@link PatroniCluster#awaitHealthy(Duration)} to wait until it has rejoined.
     *
     * @throws IllegalStateException if Patroni is running, or the cluster is closed
     */
    public void start() {
        synchronized (lock) {
            startLocked();
        }
    }

    private void startLocked() {
        cluster.ensureOpen();
        patroni.start();
        postmasterKilled = false;
        log.info("{} started (Patroni pid {})", name, patroni.pid());
    }

    /**
     * Kills Patroni and PostgreSQL with SIGKILL — Patroni first so that it cannot restart PostgreSQL, then the
     * postmaster and all its children, as a power loss would: clients see their connections reset, the leader key
     * stays in the DCS until its TTL expires. Does not restart anything. No-op if nothing runs.
     */
    public void kill9() {
        synchronized (lock) {
            kill9Locked();
        }
    }

    private void kill9Locked() {
        List<ProcessHandle> victims = new ArrayList<>();
        patroni.handle().filter(ProcessHandle::isAlive).ifPresent(h -> victims.addAll(Signals.tree(h)));
        Optional<ProcessHandle> postmaster = postmaster();
        postmaster.ifPresent(h -> victims.addAll(Signals.tree(h)));
        if (victims.isEmpty()) {
            return;
        }
        List<ProcessHandle> alive = Signals.killAll(victims);
        patroni.awaitExit(Duration.ofSeconds(10)); // our child: reaped, so isRunning() is false from now on
        if (!alive.isEmpty()) {
            throw new TestkitException(name + ": processes survived SIGKILL: " + alive);
        }
        postmasterKilled = postmaster.isPresent();
        log.info("{} killed with SIGKILL (Patroni pid {}, postmaster pid {})", name, patroni.pid(),
                postmaster.map(h -> Long.toString(h.pid())).orElse("-"));
    }

    /**
     * Makes this replica fall behind: SIGSTOPs its WAL receiver, so it neither receives nor replays WAL while the
     * primary goes on. (Patroni resumes paused replay on PostgreSQL 14+, so pausing replay would not work.) Patroni
     * keeps the member running; its {@code xlog_location}, and so its {@code lag} in {@code GET /cluster}, freezes
     * while the primary writes. Close the handle to SIGCONT the receiver;
     * {@link PatroniCluster#restoreHealthy(Duration)} and {@link PatroniCluster#close()} do it too.
     *
     * @return the handle that ends the lag
     * @throws TestkitException if this node is not a streaming replica within 30 s
     */
    public LagHandle induceLag() {
        long pid = Await.until("a streaming WAL receiver on " + name, Duration.ofSeconds(30), () -> {
            try (Connection c = cluster.connectSuperuser(this)) {
                if (!"t".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                    throw new Await.Abort(name + " is not a replica (pg_is_in_recovery() is false): cannot induce lag");
                }
                String p = Sql.scalar(c, "select pid from pg_stat_wal_receiver where status = 'streaming'");
                if (p == null) {
                    throw new Await.NotYet("pg_stat_wal_receiver on " + name + " shows no streaming receiver");
                }
                return Long.parseLong(p);
            }
        });
        ProcessHandle receiver = Signals.live(pid)
                .orElseThrow(() -> new TestkitException("walreceiver " + pid + " of " + name + " exited"));
        if (!Signals.send(receiver, "STOP")) {
            throw new TestkitException("could not SIGSTOP walreceiver " + pid + " of " + name);
        }
        LagHandle lag = new LagHandle(this, receiver);
        cluster.register(lag);
        log.info("{}: walreceiver {} stopped (induced lag)", name, pid);
        return lag;
    }

    /**
     * Patroni's log, which also holds PostgreSQL's server log (PostgreSQL writes to the stderr it inherits).
     *
     * @return the log file
     */
    public Path logFile() {
        return patroni.logFile();
    }

    /**
     * PostgreSQL's data directory (owned by the server user).
     *
     * @return the data directory
     */
    public Path dataDir() {
        return dataDir;
    }

    ManagedProcess patroni() {
        return patroni;
    }

    boolean postmasterKilled() {
        return postmasterKilled;
    }

    /** The live postmaster of this node's data directory, if any. */
    Optional<ProcessHandle> postmaster() {
        return postmasterOf(dataDir);
    }

    /**
     * The live postmaster whose PID is in {@code dataDir/postmaster.pid} and whose command line names that directory
     * (so a recycled PID is never mistaken for it).
     */
    static Optional<ProcessHandle> postmasterOf(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        List<String> lines;
        try {
            lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Signals.live(pid).filter(h -> h.info().commandLine().map(c -> c.contains(dataDir.toString()))
                .orElse(h.info().arguments().map(a -> String.join(" ", a).contains(dataDir.toString())).orElse(false)));
    }

    /** {@code key shmid} of the System V segment recorded in postmaster.pid (line 7), or null. */
    String sysvSharedMemoryId() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            if (lines.size() >= 7) {
                String[] p = lines.get(6).trim().split("\\s+");
                return p.length == 2 ? p[1] : null;
            }
        } catch (IOException ignored) {
            // no file: nothing to clean
        }
        return null;
    }

    @Override
    public String toString() {
        return name + "(pg " + pgPort + (connectPort != pgPort ? ", via proxy " + connectPort : "") + ", rest " + restPort
                + (isRunning() ? "" : ", stopped") + ")";
    }
}
