package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The write pool's connection factory against a server that logs in and then never answers. */
class MemberDataSourceTest {

    /**
     * The promotion check {@code SELECT pg_is_in_recovery()} on a server that accepted the session and then hangs (a
     * stopped host) ends within the promotion wait as a connection failure, which makes the member suspect.
     */
    @Test
    void thePromotionCheckOnAServerThatHangsIsBounded() throws Exception {
        try (SilentAfterLogin server = new SilentAfterLogin()) {
            PgClusterConfig config = PgClusterConfig.builder().endpoints("127.0.0.1:1", "127.0.0.1:2").name("hang")
                    .database("db").user("app").password("secret").set("connectionTimeout", "1s").build();
            Member m = new Member("pg1", "127.0.0.1", server.port(), Role.PRIMARY, "running", 1, 0, 0, Map.of(), null);
            List<SQLException> failures = new CopyOnWriteArrayList<>();
            MemberDataSource ds = new MemberDataSource(new ServerConnector(config), m, true, 1000, failures::add,
                    () -> false);

            // the guard only tells a hang (the defect: no bound at all) from an answer; it measures nothing
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(ds::getConnection)
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08")));
            assertThat(failures).as("reported as a failure of the member").hasSize(1);
        }
    }

    /** Speaks the PostgreSQL protocol up to ReadyForQuery (no password asked), then reads and never answers. */
    private static final class SilentAfterLogin implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0);
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();
        private final Thread thread = new Thread(this::serve, "silent-postgres");

        SilentAfterLogin() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve() {
            try {
                while (true) {
                    Socket s = socket.accept();
                    accepted.add(s);
                    Thread t = new Thread(() -> session(s), "silent-postgres-session");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException e) {
                // closed
            }
        }

        private static void session(Socket s) {
            try {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                while (true) {
                    int len = in.readInt();
                    int code = in.readInt();
                    in.readFully(new byte[len - 8]);
                    if (code == 80877103 || code == 80877104) { // SSLRequest, GSSENCRequest: not here
                        out.write('N');
                        out.flush();
                        continue;
                    }
                    break; // StartupMessage
                }
                out.write('R');
                out.writeInt(8);
                out.writeInt(0); // AuthenticationOk
                parameter(out, "server_version", "15.0");
                parameter(out, "server_encoding", "UTF8");
                parameter(out, "client_encoding", "UTF8");
                parameter(out, "DateStyle", "ISO, MDY");
                parameter(out, "integer_datetimes", "on");
                parameter(out, "standard_conforming_strings", "on");
                parameter(out, "TimeZone", "UTC");
                out.write('K');
                out.writeInt(12);
                out.writeInt(4242);
                out.writeInt(1);
                out.write('Z');
                out.writeInt(5);
                out.write('I');
                out.flush();
                InputStream rest = s.getInputStream();
                byte[] sink = new byte[1024];
                while (rest.read(sink) >= 0) {
                    // swallow every query: never answer
                }
            } catch (IOException e) {
                // the client gave up
            }
        }

        private static void parameter(DataOutputStream out, String name, String value) throws IOException {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            out.write('S');
            out.writeInt(4 + n.length + 1 + v.length + 1);
            out.write(n);
            out.write(0);
            out.write(v);
            out.write(0);
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
