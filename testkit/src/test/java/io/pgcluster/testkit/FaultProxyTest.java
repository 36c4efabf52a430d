package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault proxy in front of a local echo server. */
class FaultProxyTest {
    private ServerSocket echo;
    private Thread echoThread;
    private FaultProxy proxy;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket();
        echo.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        echoThread = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread t = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // client went away
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        echoThread.setDaemon(true);
        echoThread.start();
        proxy = FaultProxy.start("127.0.0.1", echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
        s.setSoTimeout(3000);
        s.setTcpNoDelay(true);
        return s;
    }

    private static String roundTrip(Socket s, String msg) throws IOException {
        byte[] out = msg.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(out);
        byte[] in = s.getInputStream().readNBytes(out.length);
        return new String(in, StandardCharsets.UTF_8);
    }

    @Test
    void passForwardsBothWaysAndCountsConnections() throws Exception {
        assertThat(proxy.port()).isNotEqualTo(echo.getLocalPort());
        assertThat(proxy.targetPort()).isEqualTo(echo.getLocalPort());
        try (Socket a = connect(); Socket b = connect()) {
            assertThat(roundTrip(a, "hello")).isEqualTo("hello");
            assertThat(roundTrip(b, "world")).isEqualTo("world");
            assertThat(proxy.activeConnections()).isEqualTo(2);
        }
        Await.until("connections to close", Duration.ofSeconds(5), () -> proxy.activeConnections() == 0 ? true : null);
    }

    @Test
    void forwardsLargePayloadsIntact() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        try (Socket s = connect()) {
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException ignored) {
                    // reported by the reader
                }
            });
            writer.start();
            byte[] back = s.getInputStream().readAllBytes();
            writer.join();
            assertThat(Arrays.equals(back, data)).as("3 MiB echoed intact").isTrue();
        }
    }

    @Test
    void latencyDelaysEachDirection() throws Exception {
        try (Socket s = connect()) {
            roundTrip(s, "warm-up");
            proxy.latency(Duration.ofMillis(150));
            long t0 = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).as("round trip with 150 ms each way").isBetween(290L, 1500L);
            proxy.pass();
            t0 = System.nanoTime();
            assertThat(roundTrip(s, "fast")).isEqualTo("fast");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(150L);
        }
    }

    @Test
    void blackholeHoldsDataUntilPass() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "before")).isEqualTo("before");
            proxy.blackhole();
            s.setSoTimeout(500);
            s.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            try (Socket late = connect()) { // accepted but not connected upstream
                late.setSoTimeout(500);
                late.getOutputStream().write("late".getBytes(StandardCharsets.UTF_8));
                assertThatThrownBy(() -> late.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                assertThat(proxy.activeConnections()).isEqualTo(2);
                proxy.pass();
                late.setSoTimeout(3000);
                assertThat(new String(late.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("late");
            }
            s.setSoTimeout(3000);
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("held");
            assertThat(roundTrip(s, "after")).isEqualTo("after");
        }
    }

    /** A server that dies behind a blackhole is lost silently: its reset reaches the client only after pass(). */
    @Test
    void blackholeHoldsAServerResetUntilPass() throws Exception {
        try (ServerSocket dying = new ServerSocket()) {
            dying.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (FaultProxy p = FaultProxy.start("127.0.0.1", dying.getLocalPort()); Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", p.port()), 2000);
                try (Socket upstream = dying.accept()) {
                    s.getOutputStream().write('a');
                    assertThat(upstream.getInputStream().read()).as("the link is up").isEqualTo('a');
                    p.blackhole();
                    upstream.setSoLinger(true, 0); // close with RST, as the kernel does for a killed process
                }
                s.setSoTimeout(700);
                assertThatThrownBy(() -> s.getInputStream().read()).as("nothing crosses the blackhole")
                        .isInstanceOf(SocketTimeoutException.class);
                p.pass();
                s.setSoTimeout(3000);
                assertThatThrownBy(() -> s.getInputStream().read()).as("the reset, once healed")
                        .isInstanceOf(SocketException.class).isNotInstanceOf(SocketTimeoutException.class);
            }
        }
    }

    @Test
    void resetAllAbortsConnectionsWithRstButAcceptsNewOnes() throws Exception {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "x")).isEqualTo("x");
            proxy.resetAll();
            assertThatThrownBy(() -> {
                s.getOutputStream().write(1);
                s.getInputStream().read();
                s.getOutputStream().write(1);
                s.getInputStream().read();
            }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
            assertThat(proxy.activeConnections()).isZero();
        }
        try (Socket again = connect()) {
            assertThat(roundTrip(again, "y")).isEqualTo("y");
        }
    }

    @Test
    void unreachableTargetResetsTheClient() throws Exception {
        int dead;
        try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = tmp.getLocalPort();
        }
        try (FaultProxy p = FaultProxy.start("127.0.0.1", dead); Socket s = new Socket("127.0.0.1", p.port())) {
            s.setSoTimeout(3000);
            assertThatThrownBy(() -> {
                int r = s.getInputStream().read();
                if (r == -1) {
                    throw new SocketException("connection reset (EOF)");
                }
            }).isInstanceOf(SocketException.class);
        }
    }

    @Test
    void closeStopsListeningAndRejectsModeChanges() throws Exception {
        int port = proxy.port();
        proxy.close();
        proxy.close();
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
        assertThatThrownBy(proxy::pass).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> proxy.latency(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(proxy.toString()).contains("closed");
    }
}
