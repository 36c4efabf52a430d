package io.pgcluster.jdbc.internal.connect;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback socket that speaks just enough of PostgreSQL's start-up protocol to record what a client sends first:
 * an SSLRequest (answered 'N', so the client gives up or goes on in clear as its sslmode says) or a plaintext
 * StartupMessage (its parameters are recorded, then the socket is closed). For unit tests of how pgcluster hands
 * addresses and settings to pgjdbc without a real server.
 *
 * <p>Thread-safety: the recorded lists are safe to read from any thread.
 */
final class FakePostgres implements AutoCloseable {
    private static final int SSL_REQUEST = 80877103;
    private static final int GSSENC_REQUEST = 80877104;

    private final ServerSocket server;
    private final Thread thread;
    /** "ssl" or "gssenc" for each encryption request, in order. */
    final List<String> encryptionRequests = new CopyOnWriteArrayList<>();
    /** The parameters of each plaintext StartupMessage. */
    final List<Map<String, String>> startups = new CopyOnWriteArrayList<>();

    FakePostgres() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        thread = new Thread(this::serve, "pgcluster-test-fake-postgres");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                while (true) {
                    int length = in.readInt();
                    int code = in.readInt();
                    if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
                        encryptionRequests.add(code == SSL_REQUEST ? "ssl" : "gssenc");
                        out.write('N');
                        out.flush();
                        continue;
                    }
                    byte[] body = new byte[Math.max(0, length - 8)];
                    in.readFully(body);
                    startups.add(parameters(body));
                    break;
                }
            } catch (IOException e) {
                // the client gave up or the test closed the server: wait for the next one
            }
        }
    }

    private static Map<String, String> parameters(byte[] body) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < body.length; i++) {
            if (body[i] == 0) {
                parts.add(new String(body, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < parts.size(); i += 2) {
            m.put(parts.get(i), parts.get(i + 1));
        }
        return m;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
