package io.pgcluster.testkit;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-member etcd (v3 API) that serves as Patroni's DCS. {@link #stop()} and {@link #start()} simulate a DCS
 * outage; the restart keeps the same port and data directory, so Patroni reconnects to the same keys.
 *
 * <p>Thread-safe: stop and start are serialized.
 *
 * <pre>{@code
 * cluster.etcd().stop();    // Patroni loses its DCS: the primary demotes itself after retry_timeout
 * cluster.etcd().start();   // Patroni reconnects and elects a leader again
 * cluster.awaitHealthy(Duration.ofSeconds(60));
 * }</pre>
 */
public final class EtcdServer {
    private static final Logger log = LoggerFactory.getLogger(EtcdServer.class);

    private final Object lock = new Object();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final ManagedProcess process;
    private final int clientPort;
    private final PatroniRest http;

    EtcdServer(ManagedProcess process, int clientPort, PatroniRest http) {
        this.process = process;
        this.clientPort = clientPort;
        this.http = http;
    }

    /**
     * The direct client URL, {@code http://127.0.0.1:<clientPort>} (Patroni uses this one; for a URL that goes through
     * a fault proxy see {@link PatroniCluster#etcdClientEndpoint()}).
     *
     * @return the client URL
     */
    public String endpoint() {
        return "http://" + PatroniCluster.HOST + ":" + clientPort;
    }

    /**
     * The client port on 127.0.0.1 (gRPC and the JSON gateway).
     *
     * @return the port
     */
    public int clientPort() {
        return clientPort;
    }

    /**
     * Whether the etcd process is alive.
     *
     * @return true if running
     */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops etcd with SIGTERM and waits (SIGKILL after 30 s). No-op if it is not running. */
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
        process.stop("TERM", STOP_TIMEOUT);
        log.info("etcd :{} stopped in {}", clientPort, Await.millisSince(t0));
    }

    /**
     * Starts etcd again with the same port and data directory and waits until it answers {@code GET /health}.
     *
     * @throws IllegalStateException if it is running
     * @throws TestkitException if it does not become healthy within 30 s
     */
    public void start() {
        synchronized (lock) {
            startLocked();
        }
    }

    private void startLocked() {
        long t0 = System.nanoTime();
        process.start();
        awaitHealthy();
        log.info("etcd :{} started in {}", clientPort, Await.millisSince(t0));
    }

    void awaitHealthy() {
        Await.until("etcd " + endpoint() + "/health to answer {\"health\":\"true\"}", START_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new Await.Abort("etcd exited; log tail:\n" + process.tail(30));
            }
            PatroniRest.Response r = http.get(endpoint() + "/health", Duration.ofSeconds(2));
            if (!r.ok() || !r.body.contains("true")) {
                throw new Await.NotYet("GET /health: " + r);
            }
            return Boolean.TRUE;
        });
    }

    ManagedProcess process() {
        return process;
    }

    @Override
    public String toString() {
        return "etcd " + endpoint() + (isRunning() ? " (pid " + process.pid() + ")" : " (stopped)");
    }
}
