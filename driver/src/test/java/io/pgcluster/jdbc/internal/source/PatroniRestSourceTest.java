package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Patroni REST source against tiny local HTTP servers: deadlines, size bound, redirects, credentials, TLS. */
class PatroniRestSourceTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    /** Generous: outcomes are asserted, and the bounds only catch a poll that never ends. */
    private static final long WAIT_SECONDS = 8;

    private final ScheduledExecutorService topology = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgcluster-rest-unit-topology");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        topology.shutdownNow();
    }

    @Test
    void aSlowServerIsAbandonedAtTheDeadlineAndTheNextAddressAnswers() throws Exception {
        String body = ReferenceData.restCluster();
        try (FakeRest slow = FakeRest.start(FakeRest.dribble(body, 50)); FakeRest good = FakeRest.start(FakeRest.ok(body))) {
            ClusterView view = new ClusterView("rest-unit");
            PatroniRestSource source = source(List.of(address(slow), address(good)));
            try {
                source.start(view);
                await("the topology from the second address; now " + view.current(),
                        () -> view.current().isKnown());
                assertThat(view.current().leader().name()).isEqualTo("pg3");
                assertThat(good.requests()).isNotEmpty();
                await("the slow server abandoned by the client", () -> slow.abandoned() > 0);
            } finally {
                assertClosesPromptly(source);
            }
        }
    }

    @Test
    void onlySlowServersMarkTheSourceUnreachableAndCloseIsPrompt() throws Exception {
        String body = ReferenceData.restCluster();
        try (FakeRest slow = FakeRest.start(FakeRest.dribble(body, 50))) {
            ClusterView view = new ClusterView("rest-unit");
            PatroniRestSource source = source(List.of(address(slow)));
            try {
                source.start(view);
                await("the source marked unreachable; now " + view.current(),
                        () -> view.current().sourceProblem() != null
                                && view.current().sourceProblem().contains(address(slow).toString()));
                assertThat(view.current().sourceProblem()).contains("500 ms");
                assertThat(view.current().isKnown()).isFalse();
            } finally {
                assertClosesPromptly(source);
            }
        }
    }

    @Test
    void aHugeBodyIsRefusedWithoutReadingItAll() throws Exception {
        String huge = "{\"members\": [" + " ".repeat(3 * RestClient.MAX_BODY) + "]}";
        try (FakeRest announced = FakeRest.start(FakeRest.ok(huge));
                FakeRest unannounced = FakeRest.start((head, out) -> {
                    out.write("HTTP/1.0 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.write(huge.getBytes(StandardCharsets.US_ASCII));
                });
                FakeRest chunked = FakeRest.start((head, out) -> {
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < 3 * RestClient.MAX_BODY / 65536; i++) {
                        out.write(("10000\r\n" + " ".repeat(65536) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                })) {
            RestClient client = new RestClient(null, null, null, null);
            assertThatThrownBy(() -> client.get(address(announced), "/cluster", Duration.ofSeconds(5)))
                    .hasMessageContaining("announced " + huge.length() + " bytes");
            assertThatThrownBy(() -> client.get(address(unannounced), "/cluster", Duration.ofSeconds(5)))
                    .hasMessageContaining("more than " + RestClient.MAX_BODY + " bytes");
            assertThatThrownBy(() -> client.get(address(chunked), "/cluster", Duration.ofSeconds(5)))
                    .hasMessageContaining("more than " + RestClient.MAX_BODY + " bytes");
        }
    }

    @Test
    void aChunkedAnswerIsRead() throws Exception {
        String body = ReferenceData.restCluster();
        try (FakeRest chunked = FakeRest.start((head, out) -> {
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            int half = body.length() / 2;
            for (String part : new String[] {body.substring(0, half), body.substring(half)}) {
                byte[] b = part.getBytes(StandardCharsets.UTF_8);
                out.write((Integer.toHexString(b.length) + ";ext=1\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(b);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        })) {
            assertThat(new RestClient(null, null, null, null).get(address(chunked), "/cluster", Duration.ofSeconds(5)))
                    .isEqualTo(body);
        }
    }

    @Test
    void aRedirectIsAFailedPollAndIsNotFollowed() throws Exception {
        String body = ReferenceData.restCluster();
        try (FakeRest elsewhere = FakeRest.start(FakeRest.ok(body));
                FakeRest redirecting = FakeRest.start((head, out) -> out.write(("HTTP/1.0 307 Temporary Redirect\r\n"
                        + "Location: http://127.0.0.1:" + elsewhere.port() + "/cluster\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII)))) {
            ClusterView view = new ClusterView("rest-unit");
            PatroniRestSource source = source(List.of(address(redirecting)),
                    new RestClient(null, null, "patroni", "s3cret-pw"));
            try {
                source.start(view);
                await("the source marked unreachable; now " + view.current(),
                        () -> view.current().sourceProblem().contains("Patroni REST API"));
                assertThat(view.current().sourceProblem()).contains("HTTP 307").contains("redirects are not followed")
                        .doesNotContain("s3cret-pw");
                assertThat(view.current().isKnown()).isFalse();
                assertThat(redirecting.requests()).isNotEmpty();
                assertThat(elsewhere.requests()).as("requests at the redirect's target").isEmpty();
            } finally {
                source.close();
            }
        }
    }

    @Test
    void credentialsTravelAsBasicAuthAndAreShownNowhere() throws Exception {
        try (FakeRest refusing = FakeRest.start((head, out) -> out.write(("HTTP/1.0 401 Unauthorized\r\n"
                + "WWW-Authenticate: Basic realm=\"Patroni\"\r\n\r\nnot authenticated")
                .getBytes(StandardCharsets.US_ASCII)))) {
            RestClient client = new RestClient(null, null, "patroni", "s3cret-pw");
            assertThatThrownBy(() -> client.get(address(refusing), "/cluster", Duration.ofSeconds(5)))
                    .hasMessageContaining("HTTP 401").hasMessageContaining("refused dcsUser/dcsPassword")
                    .hasMessageContaining("not authenticated").hasMessageNotContaining("s3cret-pw");
            String expected = "Basic " + Base64.getEncoder()
                    .encodeToString("patroni:s3cret-pw".getBytes(StandardCharsets.UTF_8));
            assertThat(refusing.requests()).hasSize(1);
            assertThat(refusing.requests().get(0)).startsWith("GET /cluster HTTP/1.1\r\n")
                    .contains("\r\nAuthorization: " + expected + "\r\n");
            assertThat(client.toString()).doesNotContain("s3cret-pw");
            assertThatThrownBy(() -> new RestClient(null, null, null, null).get(address(refusing), "/cluster",
                    Duration.ofSeconds(5))).hasMessageContaining("set dcsUser and dcsPassword");
        }
    }

    @Test
    void notHttpIsNamedAsSuch() throws Exception {
        try (FakeRest tlsLike = FakeRest.start((head, out) -> out.write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02,
                0x02, 0x46}));
                FakeRest silent = FakeRest.start((head, out) -> { });
                ServerSocket resetting = new ServerSocket()) {
            resetting.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(() -> {
                try (Socket s = resetting.accept()) {
                    s.getInputStream().read(new byte[64]);
                    s.setSoLinger(true, 0); // close with RST, as Python's TLS server does with plain HTTP
                } catch (IOException ignored) {
                    // the client's view is what the test looks at
                }
            }, "resetting");
            t.setDaemon(true);
            t.start();
            RestClient client = new RestClient(null, null, null, null);
            assertThatThrownBy(() -> client.get(address(tlsLike), "/cluster", Duration.ofSeconds(5)))
                    .hasMessageContaining("not HTTP").hasMessageContaining("dcsTls=true");
            assertThatThrownBy(() -> client.get(address(silent), "/cluster", Duration.ofSeconds(5)))
                    .hasMessageContaining("without an answer").hasMessageContaining("dcsTls=true");
            assertThatThrownBy(() -> client.get(new HostAndPort("127.0.0.1", resetting.getLocalPort()), "/cluster",
                    Duration.ofSeconds(5))).hasMessageContaining("dcsTls=true");
        }
    }

    private PatroniRestSource source(List<HostAndPort> addresses) {
        return source(addresses, new RestClient(null, null, null, null));
    }

    private PatroniRestSource source(List<HostAndPort> addresses, RestClient client) {
        return new PatroniRestSource("rest-unit", addresses, client, AllowedHosts.ANY, TIMEOUT, Duration.ofMillis(100), topology);
    }

    private static HostAndPort address(FakeRest server) {
        return new HostAndPort("127.0.0.1", server.port());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("timed out waiting for %s", what).isNegative();
            Thread.sleep(20);
        }
    }

    /** close() must not wait for a poll stuck on a slow server (it used to wait 10 s). */
    private static void assertClosesPromptly(PatroniRestSource source) {
        long t0 = System.nanoTime();
        source.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("close() in ms").isLessThan(5_000);
    }
}
