package io.pgcluster.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The standalone ZooKeeper that serves as Patroni's DCS when a cluster is built with {@link Dcs#ZOOKEEPER}: Debian's
 * server jar run directly with {@code java} (no init script), on a free port of 127.0.0.1, with its data directory in
 * the cluster folder, the AdminServer off and only the {@code ruok} and {@code srvr} four-letter words enabled.
 * {@link #stop()} and {@link #start()} simulate a DCS outage; the restart keeps the same port and data directory.
 *
 * <p>Thread-safe: stop and start are serialized.
 */
public final class ZooKeeperServer extends DcsServer {

    ZooKeeperServer(ManagedProcess process, int clientPort) {
        super("ZooKeeper", process, clientPort);
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

    @Override
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

    @Override
    String address() {
        return connectString();
    }
}
