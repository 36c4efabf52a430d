package io.pgcluster.testkit;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the DCS servers of the rig (etcd, ZooKeeper) share: one managed process on a fixed client port of 127.0.0.1,
 * stopped and started again with the same port and data directory to simulate a DCS outage.
 *
 * <p>Thread-safe: stop and start are serialized.
 */
abstract class DcsServer {
    private static final Logger log = LoggerFactory.getLogger(DcsServer.class);
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Object lock = new Object();
    private final String kind;
    final ManagedProcess process;
    final int clientPort;

    DcsServer(String kind, ManagedProcess process, int clientPort) {
        this.kind = kind;
        this.process = process;
        this.clientPort = clientPort;
    }

    /**
     * The client port on 127.0.0.1.
     *
     * @return the port
     */
    public int clientPort() {
        return clientPort;
    }

    /**
     * Whether the server process is alive.
     *
     * @return true if running
     */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops the server with SIGTERM and waits (SIGKILL after 30 s). No-op if it is not running. */
    public void stop() {
        synchronized (lock) {
            if (!isRunning()) {
                return;
            }
            long t0 = System.nanoTime();
            process.stop("TERM", STOP_TIMEOUT);
            log.info("{} :{} stopped in {}", kind, clientPort, Await.millisSince(t0));
        }
    }

    /**
     * Starts the server again with the same port and data directory and waits until it answers its health check.
     *
     * @throws IllegalStateException if it is running
     * @throws TestkitException if it does not answer within 30 s
     */
    public void start() {
        synchronized (lock) {
            long t0 = System.nanoTime();
            process.start();
            awaitHealthy();
            log.info("{} :{} started in {}", kind, clientPort, Await.millisSince(t0));
        }
    }

    /** Waits until the server answers its health check, or fails with its log tail if it exited. */
    abstract void awaitHealthy();

    /** The address clients use, for {@link #toString()}. */
    abstract String address();

    ManagedProcess process() {
        return process;
    }

    @Override
    public String toString() {
        return kind + " " + address() + (isRunning() ? " (pid " + process.pid() + ")" : " (stopped)");
    }
}
