package io.pgcluster.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The standalone ZooKeeper that serves as Patroni's DCS when a cluster is built with {@link Dcs#ZOOKEEPER}: Debian's
 * server jar run directly with {@code java} (no init script), on a free port of 127.0.0.1, with its data directory in
 * the cluster folder, the AdminServer off and only the {@code ruok} and {@code srvr} four-letter words enabled.
 * {@link #stop()} and {@link #start()} simulate a DCS outage; the restart keeps the same port and data directory.
 * Built with {@code zooKeeperTls(true)} the port speaks TLS only, and the health check talks TLS too.
 *
 * <p>Thread-safe: stop and start are serialized.
 */
public final class ZooKeeperServer extends DcsServer {

    private final SSLContext tls; // null: plaintext

    ZooKeeperServer(ManagedProcess process, int clientPort) {
        this(process, clientPort, null);
    }

    /** @param caFile with TLS: the CA that signed the server's certificate; {@code null} for plaintext */
    ZooKeeperServer(ManagedProcess process, int clientPort, Path caFile) {
        super("ZooKeeper", process, clientPort);
        this.tls = caFile == null ? null : trusting(caFile);
    }

    /** Whether the client port speaks TLS only. */
    public boolean tls() {
        return tls != null;
    }

    private static SSLContext trusting(Path caFile) {
        try (var in = Files.newInputStream(caFile)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, tmf.getTrustManagers(), null);
            return c;
        } catch (IOException | GeneralSecurityException e) {
            throw new TestkitException("Cannot load the CA " + caFile + " for ZooKeeper's health check: " + e, e);
        }
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
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(PatroniCluster.HOST, clientPort), 1000);
            plain.setSoTimeout(2000);
            Socket s = plain;
            if (tls != null) {
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(plain, PatroniCluster.HOST, clientPort,
                        true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name 127.0.0.1
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
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
