package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.micrometer.PgClusterMeterBinder;
import io.pgcluster.testkit.Monitoring;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster side's monitoring files (docs/deploy/prometheus, docs/deploy/grafana) against a real scrape: a rig with
 * archive_mode on, a postgres_exporter per node, a pgbouncer_exporter per PgBouncer, HAProxy's exporter, and an
 * application whose pgcluster meters a JDK HttpServer serves, all scraped by Prometheus 2.42 running the shipped
 * prometheus.yml and rule files (scrape and evaluation every second and every {@code for:} at 0 s, so that nothing
 * waits for minutes). Every rule must evaluate without error and every selector of its expression, every recording
 * rule and every query of the dashboards (variables resolved from their own
 * {@code label_values} queries) must return data. First the DCS is taken away from pgcluster and Patroni switches
 * over: the alert that pgcluster disagrees with Patroni about the leader fires, and clears once pgcluster follows
 * again; that leader change also gives pgcluster's own dashboard and alerts (checked the same way) their data. Only
 * queries of counters pgcluster creates at a first failure are excused, by name. Last, etcd is stopped: the leader
 * demotes itself, and the alerts that Patroni has no leader and HAProxy no primary fire, and clear once the cluster
 * is healthy again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MonitoringIT {
    private static final Logger log = LoggerFactory.getLogger(MonitoringIT.class);
    private static final String DISAGREEMENT = "PgclusterTopologyDisagreesWithPatroni";
    private static final List<String> JOBS = List.of("patroni", "postgres", "pgbouncer", "haproxy", "pgcluster");

    private static PatroniCluster cluster;
    private static Monitoring monitoring;
    private static PgClusterDataSource ds;
    private static HttpServer app;
    private static long t0;

    @BeforeAll
    static void startRigPrometheusAndAnApplication() throws Exception {
        t0 = System.nanoTime();
        cluster = PatroniCluster.builder().nodes(3).withMonitoring(true).withFaultProxies(true).start();
        monitoring = cluster.monitoring();
        ds = new PgClusterDataSource(PgClusterConfig.builder()
                .etcd(cluster.etcdClientEndpoint().replace("http://", "")).scope(cluster.scope())
                .namespace(cluster.namespace()).database(cluster.database()).user(cluster.user())
                .password(cluster.password()).set("pollInterval", "200ms").set("dcsTimeout", "1s").build());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new PgClusterMeterBinder(ds).bindTo(registry);
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        app.start();
        monitoring.scrapeApplications(List.of("127.0.0.1:" + app.getAddress().getPort()));
        monitoring.startPrometheus(MonitoringFiles.prometheusDir(), text -> text
                .replace("scrape_interval: 15s", "scrape_interval: 1s")
                .replace("scrape_timeout: 10s", "scrape_timeout: 1s")
                .replace("evaluation_interval: 15s", "evaluation_interval: 1s")
                .replaceAll("(?m)^(\\s+)for: \\d+[smh]$", "$1for: 0s"));
        work();
        monitoring.awaitTargetsUp(JOBS, Duration.ofSeconds(30));
        log.info("rig, exporters, Prometheus and the application up in {} ms", millisSince(t0));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.stop(0);
        }
        if (ds != null) {
            ds.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        log.info("MonitoringIT: {} ms in all", millisSince(t0));
    }

    @Test
    @Order(1)
    void theAlertThatPgclusterDisagreesWithPatroniFiresAndClears() throws Exception {
        assertThat(firing(DISAGREEMENT)).as("firing before the test").isEmpty();
        String oldLeader = cluster.leader().name();
        long start = System.nanoTime();
        cluster.etcdFaultProxy().blackhole(); // pgcluster hears nothing more from etcd; Patroni talks to etcd directly
        PatroniNode newLeader;
        try {
            newLeader = cluster.switchover();
            awaitNoneMissing(Duration.ofSeconds(30), () -> {
                List<String> alerts = firing(DISAGREEMENT);
                // pgcluster still has the old leader as leader and the new one as replica: both members disagree
                return alerts.containsAll(List.of(oldLeader, newLeader.name())) ? List.of()
                        : List.of(DISAGREEMENT + " firing for both members (so far: " + alerts + ")");
            });
            log.info("{} fired for {} and {} {} ms after the switchover began", DISAGREEMENT, oldLeader,
                    newLeader.name(), millisSince(start));
        } finally {
            cluster.etcdFaultProxy().pass();
        }
        long restored = System.nanoTime();
        awaitNoneMissing(Duration.ofSeconds(40), () -> {
            List<String> alerts = firing(DISAGREEMENT);
            return alerts.isEmpty() ? List.of() : List.of(DISAGREEMENT + " still firing for " + alerts);
        });
        log.info("{} cleared {} ms after etcd became reachable again", DISAGREEMENT, millisSince(restored));
        assertThat(monitoring.query("cluster_member:patroni_leader:max == 1")).singleElement()
                .satisfies(s -> assertThat(labels(s).get("member")).isEqualTo(newLeader.name()));
    }

    @Test
    @Order(2)
    void everyRuleAndEveryDashboardQueryReturnsDataFromTheRig() throws Exception {
        work(); // a write on the leader the switchover (test 1) made, and a retried unit of work
        long start = System.nanoTime();
        List<String> excused = new ArrayList<>();
        // rate() and increase() need two samples in their window, the recording rules an evaluation: a few seconds
        awaitNoneMissing(Duration.ofSeconds(30), () -> {
            excused.clear();
            List<String> m = new ArrayList<>(rulesWithErrors());
            String rules = MonitoringFiles.read(MonitoringFiles.prometheusDir().resolve("cluster-rules.yml"));
            for (String record : names(rules, "record")) {
                if (monitoring.query(record).isEmpty()) {
                    m.add("recording rule " + record);
                }
            }
            for (String file : List.of("cluster-rules.yml", "pgcluster-alerts.yml")) {
                String yaml = MonitoringFiles.read(MonitoringFiles.prometheusDir().resolve(file));
                for (String expr : DeployArtifactsTest.yamlValues(yaml, "expr")) {
                    for (String selector : selectors(expr)) {
                        if (monitoring.query(selector).isEmpty()) {
                            (onlyAfterFailures(selector) ? excused : m).add(file + ": selector " + selector);
                        }
                    }
                }
            }
            for (String file : List.of("cluster-dashboard.json", "pgbouncer-dashboard.json",
                    "pgcluster-dashboard.json")) {
                m.addAll(dashboardQueriesWithoutData(file, excused));
            }
            return m;
        });
        log.info("every rule and dashboard query returned data after {} ms; excused, as pgcluster exports them only "
                + "after a failure:\n  {}", millisSince(start), String.join("\n  ", excused));
        assertThat(excused).as("excused queries").allMatch(q -> q.contains("pgcluster"));
    }

    @Test
    @Order(3)
    void withoutEtcdPatroniHasNoLeaderAndTheAlertsSaySo() throws Exception {
        List<String> alerts = List.of("PatroniNoLeader", "HaproxyNoWriteBackend");
        long start = System.nanoTime();
        cluster.etcd().stop(); // the leader cannot renew its key and demotes itself after retry_timeout
        try {
            awaitNoneMissing(Duration.ofSeconds(40), () -> alerts.stream()
                    .filter(a -> firing(a).isEmpty()).map(a -> a + " not firing").toList());
            log.info("{} fired {} ms after etcd stopped", alerts, millisSince(start));
        } finally {
            cluster.restoreHealthy(Duration.ofMinutes(1));
        }
        long restored = System.nanoTime();
        awaitNoneMissing(Duration.ofSeconds(20), () -> alerts.stream()
                .filter(a -> !firing(a).isEmpty()).map(a -> a + " still firing").toList());
        log.info("{} cleared {} ms after the cluster was healthy again", alerts, millisSince(restored));
    }

    // ---- the application and some work for every exporter to see ----------------------------------------------

    /**
     * Writes and reads through pgcluster, a query through each PgBouncer (their pools appear in SHOW POOLS), and a WAL
     * switch on the leader so that a segment is archived.
     */
    private static void work() throws SQLException {
        ds.inTransaction(TransactionMode.READ_WRITE, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS monitoring_it (id bigserial PRIMARY KEY, at timestamptz)");
                s.execute("INSERT INTO monitoring_it (at) SELECT now() FROM generate_series(1, 100)");
            }
            return null;
        });
        ds.inTransaction(TransactionMode.READ_ONLY, c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM monitoring_it")) {
                r.next();
                return r.getLong(1);
            }
        });
        for (int port : new int[] {cluster.pgBouncers().writePort(), cluster.pgBouncers().readPort()}) {
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl("127.0.0.1", port), cluster.user(),
                    cluster.password()); Statement s = c.createStatement()) {
                s.execute("SELECT 1");
            }
        }
        try (Connection c = cluster.connectSuperuser(cluster.leader()); Statement s = c.createStatement()) {
            s.execute("SELECT pg_switch_wal()");
        }
        // a unit of work that fails once with a retryable SQLState and succeeds when run again: a retry is counted
        int[] attempts = {0};
        ds.inTransaction(TransactionMode.READ_ONLY, c -> {
            if (attempts[0]++ == 0) {
                throw new SQLException("could not serialize access (simulated)", "40001");
            }
            return null;
        });
    }

    // ---- what Prometheus says --------------------------------------------------------------------------------------

    /** Rules (of every loaded file) whose last evaluation failed, or that were not evaluated yet. */
    @SuppressWarnings("unchecked")
    private static List<String> rulesWithErrors() {
        List<String> bad = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) monitoring.api("/api/v1/rules").get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                if (!"ok".equals(rule.get("health"))) {
                    bad.add("rule " + rule.get("name") + ": " + rule.get("health") + " " + rule.get("lastError"));
                }
            }
        }
        return bad;
    }

    /** The members for which the alert fires ({@code null} for an alert about the whole cluster). */
    @SuppressWarnings("unchecked")
    private static List<String> firing(String alert) {
        List<String> members = new ArrayList<>();
        for (Map<String, Object> a : (List<Map<String, Object>>) monitoring.api("/api/v1/alerts").get("alerts")) {
            Map<String, String> labels = (Map<String, String>) a.get("labels");
            if (alert.equals(labels.get("alertname")) && "firing".equals(a.get("state"))) {
                members.add(labels.get("member"));
            }
        }
        return members;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> labels(Map<String, Object> sample) {
        return (Map<String, String>) sample.get("metric");
    }

    /**
     * The dashboard's queries that return nothing. Its variables are resolved as Grafana would with every value
     * selected: each {@code label_values(selector, label)} is run (with the variables before it resolved) and the
     * values it finds become a regex alternative; a variable that finds none is itself reported.
     */
    private static List<String> dashboardQueriesWithoutData(String file, List<String> excused) {
        String json = MonitoringFiles.read(MonitoringFiles.deployDir().resolve("grafana").resolve(file));
        List<String> missing = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> v : MonitoringFiles.variables(json).entrySet()) {
            String[] lv = MonitoringFiles.labelValues(v.getValue());
            TreeSet<String> found = new TreeSet<>();
            for (Map<String, Object> s : monitoring.query("group by (" + lv[1] + ") ("
                    + MonitoringFiles.resolve(lv[0], values) + ")")) {
                found.add(labels(s).get(lv[1]));
            }
            if (found.isEmpty()) {
                missing.add(file + ": variable " + v.getKey() + " (" + v.getValue() + ") has no values");
            }
            // unescaped: a '.' in an address matches itself too, and the values hold no other regex syntax
            values.put(v.getKey(), String.join("|", found));
        }
        for (String q : MonitoringFiles.panelQueries(json)) {
            String resolved = MonitoringFiles.resolve(q, values);
            if (monitoring.query(resolved).isEmpty()) {
                (onlyAfterFailures(resolved) ? excused : missing).add(file + ": " + resolved);
            }
        }
        return missing;
    }

    /**
     * Whether every metric of the expression is a counter pgcluster creates at the first failure it counts (tagged
     * with its SQLState): a healthy rig has none. DeployArtifactsTest finds them in a scrape after failures.
     */
    private static boolean onlyAfterFailures(String expr) {
        return DeployArtifactsTest.parse(expr).selectors().stream().allMatch(s -> ONLY_AFTER_FAILURES.contains(
                s.metric()));
    }

    private static final List<String> ONLY_AFTER_FAILURES = List.of("pgcluster_connection_failures_total",
            "pgcluster_failures_reported_total");

    private static final Pattern NAME_AND_MATCHERS = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{(?:[^}\"]|\"(?:[^\"\\\\]|\\\\.)*\")*})?");

    /**
     * The selectors of an expression, with their matchers: the metric names {@link DeployArtifactsTest#parse} finds,
     * each with the {@code {...}} that follows it in the text.
     */
    static List<String> selectors(String expr) {
        List<String> out = new ArrayList<>();
        TreeSet<String> metrics = new TreeSet<>();
        DeployArtifactsTest.parse(expr).selectors().forEach(s -> metrics.add(s.metric()));
        Matcher m = NAME_AND_MATCHERS.matcher(expr);
        while (m.find()) {
            boolean wordStart = m.start() == 0 || !Character.isLetterOrDigit(expr.charAt(m.start() - 1))
                    && expr.charAt(m.start() - 1) != '_' && expr.charAt(m.start() - 1) != ':';
            if (wordStart && metrics.contains(m.group(1))) {
                out.add(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
            }
        }
        assertThat(out).as("selectors of %s", expr).isNotEmpty();
        return out;
    }

    private static List<String> names(String yaml, String key) {
        Matcher m = Pattern.compile("(?m)^\\s*- " + key + ":\\s*(\\S+)").matcher(yaml);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        assertThat(names).as("%s: entries", key).isNotEmpty();
        return names;
    }

    /** Polls until {@code probe} reports nothing missing; fails listing what still was. */
    private static void awaitNoneMissing(Duration timeout, Supplier<List<String>> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> missing = probe.get();
            if (missing.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("after " + timeout.toSeconds() + " s, no data or not as expected:\n  "
                        + String.join("\n  ", missing));
            }
            Thread.sleep(500);
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000L;
    }
}
