package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.testkit.Certificates;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ServerSocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https to Patroni's REST API with certificates made by openssl at run time (the testkit's {@link Certificates}):
 * CA verification, host-name verification, client certificates, and the PEM key formats {@link Tls} reads.
 */
class RestClientTlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String BODY = "{\"members\": []}";

    @TempDir
    static Path dir;
    static Certificates ca;
    static Certificates otherCa;
    static Certificates.Issued server;
    static Certificates.Issued misnamed;
    static Certificates.Issued client;

    @BeforeAll
    static void certificates() {
        ca = Certificates.create(dir.resolve("ca"));
        otherCa = Certificates.create(dir.resolve("other-ca"));
        server = ca.server("rest", List.of("localhost"), List.of("127.0.0.1"));
        misnamed = ca.server("misnamed", List.of("patroni.example"), List.of());
        client = ca.client("pgcluster");
    }

    @Test
    void httpsWithTheRightCaAnswers() throws Exception {
        try (FakeRest https = FakeRest.start(serverFactory(server, false), FakeRest.ok(BODY))) {
            assertThat(client(ca, null).get(local(https), "/cluster", TIMEOUT)).isEqualTo(BODY);
            assertThat(client(ca, null).scheme()).isEqualTo("https");
        }
    }

    @Test
    void aServerCertificateFromAnotherCaIsRefusedNamingDcsCaFile() throws Exception {
        try (FakeRest https = FakeRest.start(serverFactory(server, false), FakeRest.ok(BODY))) {
            assertThatThrownBy(() -> client(otherCa, null).get(local(https), "/cluster", TIMEOUT))
                    .hasMessageContaining("TLS handshake failed")
                    .hasMessageContaining("dcsCaFile '" + otherCa.caFile() + "'")
                    .hasMessageContaining("PKIX");
            assertThat(https.requests()).as("nothing was sent before the server was trusted").isEmpty();
        }
    }

    @Test
    void aCertificateThatDoesNotNameTheHostIsRefused() throws Exception {
        try (FakeRest https = FakeRest.start(serverFactory(misnamed, false), FakeRest.ok(BODY))) {
            assertThatThrownBy(() -> client(ca, null).get(local(https), "/cluster", TIMEOUT))
                    .hasMessageContaining("TLS handshake failed").hasMessageContaining("must name 127.0.0.1");
            assertThat(https.requests()).isEmpty();
        }
    }

    @Test
    void aClientCertificateIsPresentedWhenConfigured() throws Exception {
        try (FakeRest https = FakeRest.start(serverFactory(server, true), FakeRest.ok(BODY))) {
            assertThat(client(ca, client).get(local(https), "/cluster", TIMEOUT)).isEqualTo(BODY);
            assertThatThrownBy(() -> client(ca, null).get(local(https), "/cluster", TIMEOUT))
                    .isInstanceOf(IOException.class).hasMessageContaining("certificate");
        }
    }

    /** What Python's http.server (Patroni's plain REST API) does with a TLS ClientHello: 400 and hang up. */
    @Test
    void httpsToAPlainHttpServerFailsClearly() throws Exception {
        try (ServerSocket plain = new ServerSocket()) {
            plain.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(() -> {
                try (Socket s = plain.accept(); OutputStream out = s.getOutputStream()) {
                    s.getInputStream().read(new byte[512]);
                    out.write("HTTP/1.0 400 Bad request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // the client's problem is what the test looks at
                }
            }, "plain-http");
            t.setDaemon(true);
            t.start();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> client(ca, null).get(new HostAndPort("127.0.0.1", plain.getLocalPort()),
                    "/cluster", TIMEOUT)).hasMessageContaining("TLS handshake failed")
                    .hasMessageContaining("does this address serve https?");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("no hang").isLessThan(4_000);
        }
    }

    @Test
    void keysInPkcs8Sec1AndPkcs1AreRead() throws Exception {
        PrivateKey pkcs8 = Tls.privateKey(client.key().toString());
        assertThat(pkcs8.getAlgorithm()).isEqualTo("EC");
        Path sec1 = dir.resolve("sec1.key");
        openssl("ec", "-in", client.key().toString(), "-out", sec1.toString());
        assertThat(Files.readString(sec1)).contains("BEGIN EC PRIVATE KEY");
        PrivateKey fromSec1 = Tls.privateKey(sec1.toString());
        assertThat(fromSec1.getAlgorithm()).isEqualTo("EC");
        assertThat(((ECPrivateKey) fromSec1).getS()).isEqualTo(((ECPrivateKey) pkcs8).getS());
        Path rsa = dir.resolve("rsa.key");
        openssl("genrsa", "-traditional", "-out", rsa.toString(), "2048");
        assertThat(Files.readString(rsa)).contains("BEGIN RSA PRIVATE KEY");
        assertThat(Tls.privateKey(rsa.toString()).getAlgorithm()).isEqualTo("RSA");
        Path encrypted = dir.resolve("encrypted.key");
        openssl("pkcs8", "-topk8", "-in", client.key().toString(), "-out", encrypted.toString(), "-passout",
                "pass:k3y-pw");
        assertThatThrownBy(() -> Tls.privateKey(encrypted.toString())).hasMessageContaining("dcsKeyFile")
                .hasMessageContaining("encrypted");
    }

    @Test
    void unreadableFilesAreNamedWithTheirProperty() throws Exception {
        String missing = dir.resolve("missing.crt").toString();
        assertThatThrownBy(() -> Tls.context(missing, null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dcsCaFile").hasMessageContaining(missing);
        assertThatThrownBy(() -> Tls.context(client.key().toString(), null, null))
                .hasMessageContaining("dcsCaFile").hasMessageContaining("holds no");
        assertThatThrownBy(() -> Tls.context(ca.caFile().toString(), client.cert().toString(),
                client.cert().toString())).hasMessageContaining("dcsKeyFile").hasMessageContaining("no PEM private key");
    }

    private static RestClient client(Certificates trusted, Certificates.Issued clientCert) {
        SSLContext ctx = Tls.context(trusted.caFile().toString(),
                clientCert == null ? null : clientCert.cert().toString(),
                clientCert == null ? null : clientCert.key().toString());
        return new RestClient(ctx.getSocketFactory(), "dcsCaFile '" + trusted.caFile() + "'", null, null);
    }

    /** A TLS server socket factory with {@code cert}, trusting the CA for client certificates. */
    private static ServerSocketFactory serverFactory(Certificates.Issued cert, boolean needClientAuth) {
        SSLContext ctx = Tls.context(ca.caFile().toString(), cert.cert().toString(), cert.key().toString());
        ServerSocketFactory f = ctx.getServerSocketFactory();
        return new ServerSocketFactory() {
            @Override
            public ServerSocket createServerSocket() throws IOException {
                SSLServerSocket s = (SSLServerSocket) f.createServerSocket();
                s.setNeedClientAuth(needClientAuth);
                return s;
            }

            @Override
            public ServerSocket createServerSocket(int port) throws IOException {
                throw new UnsupportedOperationException();
            }

            @Override
            public ServerSocket createServerSocket(int port, int backlog) throws IOException {
                throw new UnsupportedOperationException();
            }

            @Override
            public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress) throws IOException {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static HostAndPort local(FakeRest server) {
        return new HostAndPort("127.0.0.1", server.port());
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl %s: %s", command, out).isZero();
    }
}
