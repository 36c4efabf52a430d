package io.pgcluster.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone ZooKeeper that serves as Patroni's DCS when a cluster is built with {@link Dcs#ZOOKEEPER}: Debian's
 * server jar run directly with {@code java} (no init script), on a free port of 127.0.0.1, with its data directory in
 * the cluster folder, the AdminServer off and only the {@code ruok} and {@code srvr} four-letter words enabled.
 * {@link #stop()} and {@link #start()} simulate a DCS outage; the restart keeps the same port and data directory.
 *
 * <p>Thread-safe: stop and start are serialized.
 */
public final class ZooKeeperServer {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperServer.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Object lock = new Object();
    private final ManagedProcess process;
    private final int clientPort;

    ZooKeeperServer(ManagedProcess process, int clientPort) {
        this.process = process;
        this.clientPort = clientPort;
    }

    /**
     * The direct connect string, {@code 127.0.0.1:<clientPort>} (Patroni uses this one; for the address that goes
     * through a fault proxy see {@link PatroniCluster#zooKeeperClientAddress()}).
     *
     * @return {@code HOST:PORT}
     */
    public String connectString() {
        return PatroniCluster.HOST + ":" + clientPort;
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
     * Whether the ZooKeeper process is alive.
     *
     * @return true if running
     */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops ZooKeeper with SIGTERM and waits (SIGKILL after 30 s). No-op if it is not running. */
    public void stop() {
        synchronized (lock) {
            if (!isRunning()) {
                return;
            }
            long t0 = System.nanoTime();
            process.stop("TERM", STOP_TIMEOUT);
            log.info("ZooKeeper :{} stopped in {}", clientPort, Await.millisSince(t0));
        }
    }

    /**
     * Starts ZooKeeper again with the same port and data directory and waits until it answers {@code ruok}.
     *
     * @throws IllegalStateException if it is running
     * @throws TestkitException if it does not answer within 30 s
     */
    public void start() {
        synchronized (lock) {
            long t0 = System.nanoTime();
            process.start();
            awaitHealthy();
            log.info("ZooKeeper :{} started in {}", clientPort, Await.millisSince(t0));
        }
    }

    void awaitHealthy() {
        Await.until("ZooKeeper " + connectString() + " to answer ruok with imok", START_TIMEOUT,
                Duration.ofMillis(100), () -> {
                    if (!process.isAlive()) {
                        throw new Await.Abort("ZooKeeper exited; log tail:\n" + process.tail(30));
                    }
                    String answer = fourLetterWord("ruok");
                    if (!"imok".equals(answer)) {
                        throw new Await.NotYet("ruok answered '" + answer + "'");
                    }
                    return Boolean.TRUE;
                });
    }

    /** Sends a four-letter word and returns the answer ("" when the connection fails or is refused). */
    String fourLetterWord(String word) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(PatroniCluster.HOST, clientPort), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    ManagedProcess process() {
        return process;
    }

    @Override
    public String toString() {
        return "ZooKeeper " + connectString() + (isRunning() ? " (pid " + process.pid() + ")" : " (stopped)");
    }
}
