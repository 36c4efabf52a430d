package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.PgClusterDriver;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 10, defect 2: clusters the driver shares are released after {@code sharedIdleTimeout}, and a pool whose
 * login was refused stops logging in until a borrower asks again, against the rig's real PostgreSQL.
 */
@PatroniClusterTest
class SharedReleaseIT {
    private static final Logger log = LoggerFactory.getLogger(SharedReleaseIT.class);
    /** A role of this test only, so that the servers' log lines about its logins are this test's. */
    private static final String ROLE = "pgcluster_login_it";

    @AfterEach
    void closeShared() {
        PgClusterDriver.closeAll();
    }

    /**
     * The numbers: 25 connects with 25 (wrong) passwords made 25 clusters that stayed, with their threads,
     * until closeAll(). Now they are gone, threads included, once the idle time has passed.
     */
    @Test
    void clustersOfManyPasswordsAreReleasedAfterTheIdleTime(PatroniCluster cluster) throws Exception {
        String url = DriverIT.url(Sources.ETCD, cluster);
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        int threadsBefore = Thread.activeCount();
        ExecutorService callers = Executors.newFixedThreadPool(25);
        List<Connection> open = new ArrayList<>();
        try {
            List<Future<Connection>> connects = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                Properties info = info(cluster.user(), "wrong-" + i + "-" + UUID.randomUUID(), "1s");
                connects.add(callers.submit(() -> {
                    Connection c = DriverManager.getConnection(url, info);
                    SQLException e = assertThrows(SQLException.class, () -> Sources.where(cluster, c)); // refused
                    log.debug("wrong password: {}", e.toString());
                    return c; // kept open until every cluster is counted
                }));
            }
            for (Future<Connection> f : connects) {
                open.add(f.get(60, TimeUnit.SECONDS));
            }
            List<String> started = started(before);
            log.info("25 connections with 25 passwords open: {} threads (were {}), {} of them pgcluster's or its "
                    + "clients'", Thread.activeCount(), threadsBefore, started.size());
            assertThat(started.stream().filter(n -> n.startsWith("pgcluster-") && n.endsWith("-topology")))
                    .as("one cluster per password").hasSize(25);
        } finally {
            for (Connection c : open) {
                c.close();
            }
            callers.shutdown();
            assertThat(callers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }

        Awaits.until(Duration.ofSeconds(20), "the 25 idle clusters and their threads to be released",
                () -> started(before).isEmpty());
        log.info("after the idle time: {} threads", Thread.activeCount());
        assertThat(PgClusterDriver.closeAll()).as("shared clusters left").isZero();

        // and the right password still works, through a cluster started afresh
        try (Connection c = DriverManager.getConnection(url, info(cluster.user(), cluster.password(), "1s"))) {
            assertThat(Sources.where(cluster, c)).isEqualTo(cluster.leader().name() + "/primary");
        }
    }

    /**
     * A refused login stops the pools' own attempts (HikariCP's minimumIdle fill, which used to retry forever with
     * a 5 s backoff): over several seconds without a borrower the servers see no further login of the role. Once
     * the role's password is what the data source holds, the next borrower logs in.
     */
    @Test
    void aRefusedLoginStopsLoggingInUntilABorrowerAsksAgain(PatroniCluster cluster) throws Exception {
        String password = "pw-" + UUID.randomUUID();
        sql(cluster, "DROP ROLE IF EXISTS " + ROLE);
        sql(cluster, "CREATE ROLE " + ROLE + " LOGIN PASSWORD 'other-" + UUID.randomUUID() + "'");
        PgClusterConfig config = Sources.ETCD.config(cluster).user(ROLE).password(password).set("minIdle", "1")
                .set("failoverTimeout", "2s").set("connectionTimeout", "1s").build();
        try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
            Awaits.until(Duration.ofSeconds(20), "the topology with a leader", () -> ds.topology().leader() != null);
            SQLException e = assertThrows(SQLException.class, () -> {
                try (Connection c = ds.getConnection()) {
                    Sources.where(cluster, c);
                }
            });
            assertThat(hasState(e, "28P01")).as("a refused login behind %s", e.toString()).isTrue();

            Thread.sleep(1500); // attempts already under way when the first refusal came may still end
            int settled = refusedLogins(cluster);
            assertThat(settled).as("refused logins of %s in the servers' logs", ROLE).isPositive();
            Thread.sleep(6000); // HikariCP's fill retried with a backoff of at most 5 s
            assertThat(refusedLogins(cluster)).as("refused logins of %s after 6 s without a borrower", ROLE)
                    .isEqualTo(settled);

            sql(cluster, "ALTER ROLE " + ROLE + " PASSWORD '" + password + "'");
            try (Connection c = ds.getConnection()) {
                assertThat(Sources.where(cluster, c)).isEqualTo(cluster.leader().name() + "/primary");
            }
        } finally {
            sql(cluster, "DROP ROLE IF EXISTS " + ROLE);
        }
    }

    private static Properties info(String user, String password, String sharedIdleTimeout) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sharedIdleTimeout", sharedIdleTimeout);
        p.setProperty("failoverTimeout", "2s");
        p.setProperty("connectionTimeout", "1s");
        p.setProperty("minIdle", "1");
        return p;
    }

    private static boolean hasState(Throwable e, String state) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException && state.equals(((SQLException) t).getSQLState())) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** PostgreSQL's own log lines (inside each node's patroni.log) about a refused login of {@link #ROLE}. */
    private static int refusedLogins(PatroniCluster cluster) {
        String needle = "password authentication failed for user \"" + ROLE + "\"";
        int n = 0;
        for (PatroniNode node : cluster.nodes()) {
            try {
                for (String line : Files.readAllLines(node.logFile(), StandardCharsets.UTF_8)) {
                    if (line.contains(needle)) {
                        n++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n;
    }

    private static void sql(PatroniCluster cluster, String statement) throws SQLException {
        try (Connection c = cluster.connectSuperuser(cluster.leader()); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** Threads started since {@code before} that are still alive: pgcluster's, HikariCP's and the clients'. */
    private static List<String> started(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                .map(Thread::getName)
                .filter(n -> n.startsWith("pgcluster-") || n.contains("connection adder")
                        || n.contains("connection closer") || n.contains("vert.x") || n.contains("grpc")
                        || n.contains(":connection-") || n.contains("etcd") || n.startsWith("PostgreSQL JDBC"))
                .collect(Collectors.toList());
    }
}
