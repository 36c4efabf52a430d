package io.pgcluster.jdbc.internal.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ServerSocketFactory;

/**
 * A tiny HTTP server on loopback for the Patroni REST source's tests: it answers every request by a {@link Handler}
 * (a captured {@code /cluster} body, a redirect, a body dribbled byte by byte, ...), and records the request heads
 * it read and whether the client hung up on it.
 *
 * <p>Thread-safety: one daemon thread accepts, one per connection answers; the recorded facts are thread-safe.
 */
final class FakeRest implements AutoCloseable {
    /** Writes the answer to one request. */
    interface Handler {
        void answer(String requestHead, OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final Handler handler;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger abandoned = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private FakeRest(ServerSocketFactory factory, Handler handler) throws IOException {
        this.server = factory.createServerSocket();
        this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.handler = handler;
        Thread t = new Thread(this::acceptLoop, "fake-rest-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    static FakeRest start(Handler handler) throws IOException {
        return new FakeRest(ServerSocketFactory.getDefault(), handler);
    }

    static FakeRest start(ServerSocketFactory factory, Handler handler) throws IOException {
        return new FakeRest(factory, handler);
    }

    /** Answers 200 with {@code body} as JSON. */
    static Handler ok(String body) {
        return (head, out) -> {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
        };
    }

    /** Sends the head and then one byte of {@code body} every {@code pauseMillis}, and after it spaces, forever. */
    static Handler dribble(String body, long pauseMillis) {
        return (head, out) -> {
            out.write("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; ; i++) {
                out.write(i < b.length ? b[i] : ' ');
                out.flush();
                Thread.sleep(pauseMillis);
            }
        };
    }

    int port() {
        return server.getLocalPort();
    }

    /** The request heads read so far (request line and headers). */
    List<String> requests() {
        return requests;
    }

    /** How many connections the client closed while the handler was still writing. */
    int abandoned() {
        return abandoned.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "fake-rest-conn-" + server.getLocalPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                head.append((char) c);
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    break;
                }
            }
            requests.add(head.toString());
            OutputStream out = s.getOutputStream();
            handler.answer(head.toString(), out);
            out.flush();
        } catch (IOException e) {
            if (!closed) {
                abandoned.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
