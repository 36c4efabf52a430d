package io.pgcluster.jdbc.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.micrometer.PgClusterMeterBinder;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.testkit.ClusterConfig;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniClusterTest;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus sees what the driver did: reads and writes through a switchover, scraped from a
 * {@link PrometheusMeterRegistry}. The leader change is counted, the time to the first write on the new leader is
 * recorded with a plausible value, pools and members have their gauges, routing its counters, and the text holds
 * no password. Closing the data source removes every meter.
 */
@PatroniClusterTest
@ClusterConfig(haProxy = true)
class MetricsIT {
    private static final Logger log = LoggerFactory.getLogger(MetricsIT.class);
    private static final String CLUSTER = "it-metrics";

    @Test
    void prometheusSeesASwitchover(PatroniCluster cluster) throws Exception {
        Tables.recreate(cluster, "metrics_it");
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SimpleMeterRegistry later = new SimpleMeterRegistry();
        PatroniNode newLeader;
        String oldLeader;
        Workload w = new Workload(5);
        try (PgClusterDataSource ds = new PgClusterDataSource(Sources.ETCD.config(cluster).name(CLUSTER).build())) {
            PgClusterMeterBinder binder = new PgClusterMeterBinder(ds);
            binder.bindTo(prometheus);
            w.writer("tx", seq -> {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO metrics_it(id, port) VALUES (?, "
                            + "inet_server_port())")) {
                        ps.setLong(1, seq);
                        ps.executeUpdate();
                    }
                    String where = Sources.where(cluster, c);
                    c.commit();
                    return where;
                }
            });
            w.reader("unit-of-work", seq -> ds.inTransaction(TransactionMode.READ_ONLY,
                    c -> Sources.where(cluster, c)));
            Thread.sleep(1500);
            binder.bindTo(later); // a second registry, bound while the data source works

            oldLeader = cluster.leader().name();
            long start = System.nanoTime();
            newLeader = cluster.switchover();
            log.info("switchover {} -> {} took {} ms", oldLeader, newLeader.name(),
                    (System.nanoTime() - start) / 1_000_000L);
            String next = newLeader.name();
            Awaits.until(Duration.ofSeconds(40), "writes on the new leader " + next,
                    () -> w.placed("write", next + "/primary") >= 20);
            Awaits.until(Duration.ofSeconds(40), "the topology to show every member running with a known lag",
                    () -> ds.topology().members().size() == cluster.nodes().size() && ds.topology().members()
                            .stream().allMatch(m -> m.isRunning() && m.lagBytes() >= 0));
            w.close();
            log.info("{}", w.summary());

            String text = prometheus.scrape();
            log.info("pgcluster meters:\n{}", text.lines().filter(l -> l.startsWith("pgcluster_"))
                    .collect(Collectors.joining("\n")));
            Samples s = Samples.parse(text);

            assertThat(text).doesNotContain(cluster.password()).doesNotContain("jdbc:");
            assertThat(s.sum("pgcluster_leader_changes_total")).isGreaterThanOrEqualTo(1);
            assertThat(s.sum("pgcluster_topology_changes_total")).isGreaterThanOrEqualTo(1);
            double firstWrites = s.sum("pgcluster_leader_first_write_seconds_count");
            double firstWriteSeconds = s.sum("pgcluster_leader_first_write_seconds_sum") / firstWrites;
            log.info("first write on the new leader {} s after the topology named it", firstWriteSeconds);
            assertThat(firstWrites).isGreaterThanOrEqualTo(1);
            assertThat(firstWriteSeconds).as("plausible: after the DCS event, within failoverTimeout")
                    .isGreaterThan(0).isLessThan(40);

            assertThat(s.sum("pgcluster_routing_decisions_total", "work", "read", "target", "replica")).isPositive();
            assertThat(s.sum("pgcluster_routing_decisions_total", "work", "write", "target", "leader"))
                    .isPositive();
            assertThat(s.sum("pgcluster_topology_source_reachable")).isEqualTo(1);
            assertThat(s.values("pgcluster_topology_age_seconds")).hasSize(1);

            assertThat(s.values("pgcluster_pool_connections", "member", next, "role", "write")).hasSize(1);
            assertThat(s.sum("pgcluster_pool_connections_acquire_seconds_count", "member", next, "role", "write"))
                    .as("HikariCP's own timer, tagged by member").isPositive();
            for (PatroniNode replica : cluster.replicas()) {
                assertThat(s.values("pgcluster_pool_connections_active", "member", replica.name(), "role", "read"))
                        .as("read pool of %s", replica.name()).hasSize(1);
            }
            for (Member m : ds.topology().members()) {
                assertThat(s.values("pgcluster_member_lag_bytes", "member", m.name())).as(m.name()).hasSize(1);
            }
            assertThat(s.sum("pgcluster_member_lag_bytes", "member", next)).isZero();
            assertThat(s.sum("pgcluster_member_leader", "member", next)).isEqualTo(1);
            assertThat(s.sum("pgcluster_member_leader")).isEqualTo(1);

            assertThat(later.find("pgcluster.leader.first.write").timer()).isNotNull();
            assertThat(later.find("pgcluster.pool.connections").tag("member", next).tag("role", "write").gauge())
                    .isNotNull();
        } finally {
            w.close();
        }
        assertThat(prometheus.scrape()).doesNotContain("pgcluster_");
        assertThat(later.getMeters()).isEmpty();
    }

    /** The samples of a Prometheus text scrape. */
    private static final class Samples {
        private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        private record Sample(String name, Map<String, String> labels, double value) {
        }

        private final List<Sample> samples = new ArrayList<>();

        static Samples parse(String text) {
            Samples s = new Samples();
            text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> {
                Matcher m = LINE.matcher(l);
                if (m.matches()) {
                    Map<String, String> labels = new HashMap<>();
                    if (m.group(2) != null) {
                        Matcher lm = LABEL.matcher(m.group(2));
                        while (lm.find()) {
                            labels.put(lm.group(1), lm.group(2));
                        }
                    }
                    s.samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
                }
            });
            return s;
        }

        /** Values of {@code name} in this test's cluster with the given label pairs. */
        List<Double> values(String name, String... labels) {
            List<Double> v = new ArrayList<>();
            for (Sample x : samples) {
                boolean match = x.name.equals(name) && CLUSTER.equals(x.labels.get("cluster"));
                for (int i = 0; match && i < labels.length; i += 2) {
                    match = labels[i + 1].equals(x.labels.get(labels[i]));
                }
                if (match) {
                    v.add(x.value);
                }
            }
            return v;
        }

        double sum(String name, String... labels) {
            return values(name, labels).stream().mapToDouble(Double::doubleValue).sum();
        }
    }
}
