package io.pgcluster.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.annotation.Transactional;

/**
 * A Spring Boot 3.5 application on the real cluster, with the etcd source (a live watch) while Spring Boot manages
 * Netty 4.1: {@code @Transactional(readOnly = true)} runs on a replica, read-write on the leader, and a switchover
 * during a request loop is survived with the documented semantics.
 */
@PatroniClusterTest
@SpringBootTest(classes = SpringBootIT.App.class)
class SpringBootIT {
    private static final Logger log = LoggerFactory.getLogger(SpringBootIT.class);
    private static final Set<String> DOCUMENTED = Set.of("08001", "08006", "08007");
    private static PatroniCluster cluster;

    @Autowired
    Orders orders;
    @Autowired
    PgClusterDataSource dataSource;
    @Autowired
    PgClusterHealthIndicator health;
    @Autowired
    MeterRegistry registry;

    @EnableAutoConfiguration
    @Import(Orders.class)
    static class App {
    }

    /** A service as an application would write it. */
    @Service
    static class Orders {
        private final JdbcTemplate jdbc;

        Orders(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional(readOnly = true)
        public String where() {
            return jdbc.queryForObject("SELECT inet_server_port() || '/' || pg_is_in_recovery()", String.class);
        }

        @Transactional
        public String place(long id) {
            jdbc.update("INSERT INTO spring_orders(id) VALUES (?)", id);
            return jdbc.queryForObject("SELECT inet_server_port() || '/' || pg_is_in_recovery()", String.class);
        }
    }

    @BeforeAll
    static void cluster(PatroniCluster c) throws SQLException {
        cluster = c;
        PatroniNode leader = c.leader();
        try (Connection conn = DriverManager.getConnection(c.jdbcUrl(leader.host(), leader.pgPort()), c.user(),
                c.password()); Statement s = conn.createStatement()) {
            s.execute("DROP TABLE IF EXISTS spring_orders");
            s.execute("CREATE TABLE spring_orders (id bigint PRIMARY KEY)");
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("spring.datasource.url", () -> "jdbc:pgcluster:etcd://" + cluster.etcdClientEndpoint()
                .replace("http://", "") + "/" + cluster.database() + "?scope=" + cluster.scope());
        r.add("spring.datasource.username", () -> cluster.user());
        r.add("spring.datasource.password", () -> cluster.password());
        r.add("pgcluster.suspect-timeout", () -> "2s");
        r.add("pgcluster.failover-timeout", () -> "40s");
        r.add("pgcluster.min-idle", () -> "0");
    }

    private static String node(String where) {
        String[] parts = where.split("/");
        int port = Integer.parseInt(parts[0]);
        String name = cluster.nodes().stream().filter(n -> n.pgPort() == port).map(PatroniNode::name).findFirst()
                .orElse("port" + port);
        return name + ("true".equals(parts[1]) ? "/replica" : "/primary");
    }

    @Test
    void readOnlyMethodsRunOnReplicasAndTheRestOnTheLeaderThroughASwitchover() throws Exception {
        assertThat(io.netty.util.Version.identify().get("netty-common").artifactVersion())
                .as("the application's Netty is Spring Boot 3.5's 4.1; the etcd watch must not depend on it")
                .startsWith("4.1.");
        String leader = cluster.leader().name();
        assertThat(node(orders.where())).endsWith("/replica");
        assertThat(node(orders.place(-1))).isEqualTo(leader + "/primary");
        assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        assertThat(health.health().getDetails().get("leader").toString()).startsWith(leader + " ");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong seq = new AtomicLong();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        Map<String, Long> placements = new ConcurrentHashMap<>();
        Runnable writer = () -> {
            while (!stop.get()) {
                try {
                    placements.merge("write@" + node(orders.place(seq.incrementAndGet())), 1L, Long::sum);
                } catch (RuntimeException e) {
                    failures.merge("write:" + sqlState(e), 1L, Long::sum);
                }
            }
        };
        Runnable reader = () -> {
            while (!stop.get()) {
                try {
                    placements.merge("read@" + node(orders.where()), 1L, Long::sum);
                } catch (RuntimeException e) {
                    failures.merge("read:" + sqlState(e), 1L, Long::sum);
                }
            }
        };
        Thread[] threads = {new Thread(writer), new Thread(reader), new Thread(reader)};
        for (Thread t : threads) {
            t.start();
        }
        Thread.sleep(1000);
        PatroniNode newLeader = cluster.switchover();
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (placements.getOrDefault("write@" + newLeader.name() + "/primary", 0L) < 20) {
            assertThat(System.nanoTime()).as("writes on the new leader %s: %s", newLeader.name(), placements)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(30_000);
        }
        log.info("Spring Boot through a switchover: placements={} failures={}", placements, failures);

        assertThat(dataSource.topology().leader().name()).as("the etcd watch followed").isEqualTo(newLeader.name());
        assertThat(failures.keySet()).as("no failed read; write failures only with documented SQLStates: %s",
                failures).allSatisfy(k -> {
                    assertThat(k).startsWith("write:");
                    assertThat(DOCUMENTED).contains(k.substring("write:".length()));
                });
        assertThat(placements.keySet()).noneMatch(k -> k.startsWith("write@") && k.endsWith("/replica"));
        assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        assertThat(registry.getMeters()).as("pgcluster meters in the application's registry")
                .anyMatch(m -> m.getId().getName().startsWith("pgcluster."));
    }

    private static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException && ((SQLException) t).getSQLState() != null) {
                return ((SQLException) t).getSQLState();
            }
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
