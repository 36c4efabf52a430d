package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Randomized answers (well-formed pieces of HTTP mixed with garbage, huge and negative lengths, broken chunks): every
 * one ends in a body or an {@link IOException}, never another exception, and within the deadline.
 */
class RestClientFuzzTest {
    private static final List<String> STATUS = List.of("HTTP/1.0 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 302 Found",
            "HTTP/1.1 401 Unauthorized", "HTTP/1.1 503 Service Unavailable", "HTTP/1.1 99999999999 X", "HTTP/1.1 -1",
            "HTTP/2 200", "HTTP/1.1", "", "\u0000\u00ff", "GET / HTTP/1.1", "HTTP/1.1 200");
    private static final List<String> HEADERS = List.of("Content-Length: 10", "Content-Length: -7",
            "Content-Length: 99999999999999999999", "Content-Length: 2147483648", "Content-Length: x",
            "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Location: http://u:p@evil/",
            "Content-Type: application/json", "no colon here", ": empty name", "X: " + "y".repeat(70_000));
    private static final List<String> BODIES = List.of("{\"members\": []}", "5\r\nabcde\r\n0\r\n\r\n",
            "ffffffffffffffffff\r\n", "-5\r\n", "3;x=y\r\nabc\r\n0\r\n\r\n", "zz\r\n", "7fffffff\r\nabc", "", "\r\n");

    @Test
    void everyAnswerEndsInABodyOrAnIoExceptionWithinTheDeadline() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        AtomicReference<byte[]> answer = new AtomicReference<>(new byte[0]);
        try (FakeRest server = FakeRest.start((head, out) -> out.write(answer.get()))) {
            RestClient client = new RestClient(null, null, "u", "pw");
            HostAndPort address = new HostAndPort("127.0.0.1", server.port());
            for (int i = 0; i < 300; i++) {
                byte[] a = answer(random);
                answer.set(a);
                long t0 = System.nanoTime();
                try {
                    String body = client.get(address, "/cluster", Duration.ofMillis(1500));
                    assertThat(body.length()).isLessThanOrEqualTo(RestClient.MAX_BODY);
                } catch (IOException expected) {
                    assertThat(expected.getMessage()).as("seed %d, answer %d", seed, i).isNotBlank()
                            .doesNotContain("pw");
                } catch (RuntimeException e) {
                    throw new AssertionError("seed " + seed + ", answer " + i + ": " + preview(a), e);
                }
                assertThat((System.nanoTime() - t0) / 1_000_000).as("seed %d, answer %d in ms", seed, i)
                        .isLessThan(5_000);
            }
        }
    }

    private static byte[] answer(Random random) {
        StringBuilder s = new StringBuilder();
        s.append(STATUS.get(random.nextInt(STATUS.size()))).append("\r\n");
        int headers = random.nextInt(4);
        for (int h = 0; h < headers; h++) {
            s.append(HEADERS.get(random.nextInt(HEADERS.size()))).append(random.nextBoolean() ? "\r\n" : "\n");
        }
        if (random.nextInt(5) > 0) {
            s.append("\r\n");
        }
        s.append(BODIES.get(random.nextInt(BODIES.size())));
        byte[] bytes = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (random.nextInt(4) == 0 && bytes.length > 0) { // flip a few bytes
            for (int f = 0; f < 3; f++) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
        }
        return bytes;
    }

    private static String preview(byte[] a) {
        String s = new String(a, StandardCharsets.ISO_8859_1);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
