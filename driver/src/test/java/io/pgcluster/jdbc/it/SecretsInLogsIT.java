package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgcluster.jdbc.PgClusterDriver;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nothing secret in logs at any level: a representative scenario against the real cluster (a URL with
 * {@code user:password@} in front of a mistyped host list, connections with the password in the URL's query and in
 * {@code Properties}, a wrong password, a wrong etcd password ({@code dcsPassword}; etcd runs with authentication),
 * HikariCP in front of the driver, {@code getPropertyInfo}, and a switchover under writes) runs with pgcluster's and HikariCP's loggers (slf4j-simple) at TRACE and pgjdbc's (java.util.logging)
 * at FINEST; every line it logs and every exception it sees must be free of the passwords used, raw or
 * percent-encoded.
 *
 * <p>The scenario runs in a child JVM of its own ({@link Scenario}): slf4j-simple fixes a logger's level when the
 * logger is created, once per JVM, so this is how TRACE applies to this test only and to every class it loads. The
 * rig is this JVM's; the child gets its addresses and the passwords through its environment (never its command
 * line), prints {@code SWITCHOVER?} when its writers run, and continues when this test answers after the switchover.
 */
@PatroniClusterTest
@ClusterConfig(etcdAuth = true)
class SecretsInLogsIT {
    private static final Logger log = LoggerFactory.getLogger(SecretsInLogsIT.class);
    /** A wrong password that is as secret as the right one: a typo of it would be. */
    private static final String WRONG_PASSWORD = "Wr0ng-pa55word-" + Long.toHexString(System.nanoTime());
    private static final String WRONG_DCS_PASSWORD = "Wr0ng-etcd-pa55word-" + Long.toHexString(System.nanoTime());

    @Test
    void noPasswordInAnyLogLineOrExceptionAtTrace(PatroniCluster cluster) throws Exception {
        Path out = Files.createTempFile("pgcluster-secrets-in-logs", ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=trace");
        command.add("-Dorg.slf4j.simpleLogger.showThreadName=true");
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add(Scenario.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("PGC_ETCD", cluster.etcdClientEndpoint().replace("http://", ""));
        pb.environment().put("PGC_SCOPE", cluster.scope());
        pb.environment().put("PGC_NAMESPACE", cluster.namespace());
        pb.environment().put("PGC_DATABASE", cluster.database());
        pb.environment().put("PGC_USER", cluster.user());
        pb.environment().put("PGC_PASSWORD", cluster.password());
        pb.environment().put("PGC_WRONG_PASSWORD", WRONG_PASSWORD);
        pb.environment().put("PGC_DCS_USER", cluster.etcd().clientUser());
        pb.environment().put("PGC_DCS_PASSWORD", cluster.etcd().clientPassword());
        pb.environment().put("PGC_WRONG_DCS_PASSWORD", WRONG_DCS_PASSWORD);
        Process child = pb.start();
        String text;
        try (Writer toChild = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8)) {
            awaitLine(child, out, "SWITCHOVER?", 120);
            PatroniNode newLeader = cluster.switchover();
            log.info("switched over to {} while the scenario wrote", newLeader.name());
            toChild.write("GO\n");
            toChild.flush();
            assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("the scenario finishes").isTrue();
        } finally {
            child.destroyForcibly();
            text = Files.readString(out, StandardCharsets.ISO_8859_1);
            Files.deleteIfExists(out);
        }
        assertThat(child.exitValue()).as("scenario exit code; its output:%n%s", tail(text)).isZero();

        // the levels took effect: otherwise the test could not fail
        assertThat(text).as("pgcluster DEBUG/TRACE lines").containsPattern("(DEBUG|TRACE) .*io\\.pgcluster\\.jdbc");
        assertThat(text).as("HikariCP DEBUG lines").containsPattern("DEBUG .*com\\.zaxxer\\.hikari");
        assertThat(text).as("pgjdbc FINE lines").contains("org.postgresql");
        assertThat(text).as("the scenario saw the wrong password refused").contains("28P01");
        assertThat(text).as("the scenario saw the wrong etcd password refused").contains("check dcsUser and dcsPassword");
        assertThat(text).as("the scenario finished").contains("SCENARIO DONE");
        for (String secret : List.of(cluster.password(), WRONG_PASSWORD, cluster.etcd().clientPassword(),
                WRONG_DCS_PASSWORD)) {
            for (String form : List.of(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8))) {
                List<String> leaks = text.lines().filter(l -> l.contains(form)).limit(40)
                        .map(l -> l.replace(form, "<PASSWORD>")).toList();
                assertThat(leaks).as("lines of the output that show a password (as <PASSWORD>)").isEmpty();
            }
        }
        log.info("scenario output: {} characters, {} lines, no password", text.length(), text.lines().count());
    }

    private static void awaitLine(Process child, Path out, String line, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.readString(out, StandardCharsets.ISO_8859_1).contains(line)) {
            if (!child.isAlive() || System.nanoTime() - deadline > 0) {
                throw new AssertionError("the scenario did not print " + line + " (alive: " + child.isAlive()
                        + "); output:\n" + tail(Files.readString(out, StandardCharsets.ISO_8859_1)));
            }
            Thread.sleep(100);
        }
    }

    private static String tail(String text) {
        return text.length() <= 20_000 ? text : "...\n" + text.substring(text.length() - 20_000);
    }

    /**
     * The scenario, in the child JVM: everything it sees goes to stdout/stderr, which the test reads. Exits 0 when
     * every step behaved as expected.
     */
    public static final class Scenario {
        private Scenario() {
        }

        public static void main(String[] args) throws Exception {
            Handler console = new ConsoleHandler();
            console.setLevel(Level.ALL);
            console.setFormatter(new SimpleFormatter());
            java.util.logging.Logger pgjdbc = java.util.logging.Logger.getLogger("org.postgresql");
            pgjdbc.setLevel(Level.FINEST);
            pgjdbc.addHandler(console);

            String etcd = System.getenv("PGC_ETCD");
            String user = System.getenv("PGC_USER");
            String password = System.getenv("PGC_PASSWORD");
            String wrong = System.getenv("PGC_WRONG_PASSWORD");
            String rest = "/" + System.getenv("PGC_DATABASE") + "?scope=" + System.getenv("PGC_SCOPE")
                    + "&namespace=" + System.getenv("PGC_NAMESPACE")
                    + "&pollInterval=200ms&suspectTimeout=2s&connectionTimeout=2s&failoverTimeout=40s"
                    + "&dcsPlaintextCredentials=true&dcsUser=" + System.getenv("PGC_DCS_USER");
            String dcsPassword = System.getenv("PGC_DCS_PASSWORD");
            String wrongDcs = System.getenv("PGC_WRONG_DCS_PASSWORD");
            String url = "jdbc:pgcluster:etcd://" + etcd + rest + "&dcsPassword=" + dcsPassword;
            String wrongDcsUrl = "jdbc:pgcluster:etcd://" + etcd + rest + "&dcsPassword=" + wrongDcs;
            PrintWriter report = new PrintWriter(System.out, true);
            try {
                run(report, etcd, rest + "&dcsPassword=" + dcsPassword, url, user, password, wrong);
                // a wrong etcd password: refused by etcd, reported at once, never shown
                expectFailure(report, "wrong dcsPassword", () -> {
                    try (Connection c = DriverManager.getConnection(wrongDcsUrl, user, password)) {
                        one(c);
                    }
                    return null;
                });
                report.println("SCENARIO DONE");
            } catch (Throwable t) {
                report.println("SCENARIO FAILED");
                t.printStackTrace(report);
                System.exit(1);
            } finally {
                PgClusterDriver.closeAll();
            }
            System.exit(0);
        }

        private static void run(PrintWriter report, String etcd, String rest, String url, String user,
                String password, String wrong) throws Exception {
            // user information in the URL, with the host list typed right and with typos: refused, never quoted
            String userInfo = user + ":" + password + "@";
            for (String bad : List.of("jdbc:pgcluster:etcd://" + userInfo + etcd + rest,
                    "jdbc:pgcluster:etcd://" + userInfo + etcd + ", " + etcd + rest,
                    "jdbc:pgcluster:etcd://" + userInfo + etcd + ";" + etcd + rest,
                    "jdbc:pgcluster:etcd:" + etcd + "/db?password=" + password)) {
                expectFailure(report, "user information", () -> DriverManager.getConnection(bad, user, password));
                for (DriverPropertyInfo p : new PgClusterDriver().getPropertyInfo(bad, null)) {
                    report.println("getPropertyInfo " + p.name + "=" + p.value);
                }
            }

            // the password in the URL's query, and in Properties
            String withPassword = url + "&user=" + user + "&password=" + URLEncoder.encode(password,
                    StandardCharsets.UTF_8);
            try (Connection c = DriverManager.getConnection(withPassword)) {
                report.println("password in the URL: " + one(c) + " on " + c);
            }
            Properties info = new Properties();
            info.setProperty("user", user);
            info.setProperty("password", password);
            try (Connection c = DriverManager.getConnection(url, info)) {
                report.println("password in Properties: " + one(c));
                report.println("shared data source: " + PgClusterDriver.dataSource(url, info));
                report.println("its configuration: " + PgClusterDriver.dataSource(url, info).config());
                report.println("its health: " + PgClusterDriver.dataSource(url, info).health());
            }

            // a wrong password: the logical connection opens, its first statement is refused (28P01)
            expectFailure(report, "wrong password", () -> {
                try (Connection c = DriverManager.getConnection(url, user, wrong)) {
                    one(c);
                }
                return null;
            });

            // HikariCP in front of the driver (it logs its configuration at DEBUG)
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(withPassword);
            hc.setPassword(password);
            hc.setMaximumPoolSize(2);
            hc.setPoolName("outer");
            try (HikariDataSource outer = new HikariDataSource(hc); Connection c = outer.getConnection()) {
                report.println("through HikariCP: " + one(c));
            }

            // writes through a switchover, which the test performs when asked
            try (Connection c = DriverManager.getConnection(url, info); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS secrets_in_logs (id bigserial PRIMARY KEY, at text)");
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger afterSwitchover = new AtomicInteger();
            AtomicBoolean switched = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                while (!stop.get()) {
                    try (Connection c = DriverManager.getConnection(url, info); Statement s = c.createStatement()) {
                        s.execute("INSERT INTO secrets_in_logs (at) VALUES (inet_server_port()::text)");
                        if (switched.get()) {
                            afterSwitchover.incrementAndGet();
                        }
                    } catch (SQLException e) {
                        report.println("write failed: " + e + " SQLState " + e.getSQLState());
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "scenario-writer");
            writer.start();
            Thread.sleep(500);
            report.println("SWITCHOVER?");
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (!"GO".equals(answer)) {
                throw new IllegalStateException("the test answered " + answer);
            }
            switched.set(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (afterSwitchover.get() < 20 && System.nanoTime() - deadline < 0) {
                Thread.sleep(100);
            }
            stop.set(true);
            writer.join(10_000);
            if (afterSwitchover.get() < 20) {
                throw new IllegalStateException("only " + afterSwitchover.get() + " writes after the switchover");
            }
            report.println("writes after the switchover: " + afterSwitchover.get());
        }

        private static String one(Connection c) throws SQLException {
            try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT inet_server_port()")) {
                rs.next();
                return "port " + rs.getInt(1);
            }
        }

        private interface Step {
            Object run() throws Exception;
        }

        private static void expectFailure(PrintWriter report, String what, Step step) throws IOException {
            try {
                Object result = step.run();
                throw new IllegalStateException(what + ": expected a failure, got " + result);
            } catch (SQLException e) {
                report.println(what + ": " + e + " SQLState " + e.getSQLState());
                e.printStackTrace(report);
            } catch (IllegalStateException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(what + ": unexpected " + e, e);
            }
        }
    }
}
