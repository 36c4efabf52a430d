package io.pgcluster.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The cluster side of monitoring, as the reference architecture runs it: a postgres_exporter next to every node, a
 * pgbouncer_exporter next to each PgBouncer (Debian 12's packages), and a Prometheus (Debian's 2.42) that scrapes
 * them, every Patroni's REST {@code /metrics}, HAProxy's built-in exporter and any application added with
 * {@link #scrapeApplications(List)}. Built with {@code PatroniCluster.builder().withMonitoring(true)}; the exporters
 * start with the rig, Prometheus with {@link #startPrometheus(Path, UnaryOperator)}, and all of them stop with it.
 *
 * <p>Prometheus finds its targets in files ({@code file_sd_configs}): the kit writes {@code targets/<job>.yml} next
 * to the configuration, one target per exporter or REST API with the labels {@code cluster} (the scope) and
 * {@code member} (the node) or {@code pgbouncer} (the fleet: write or read; {@code node} for the PgBouncer next to
 * each node with {@link PatroniClusterBuilder#poolerPerNode()}, which also has {@code member}). Prometheus re-reads
 * them when they change.
 *
 * <p>Thread-safe.
 */
public final class Monitoring {
    /** Files under {@code targets/} that a configuration's {@code file_sd_configs} may name. */
    public static final List<String> TARGET_FILES = List.of("patroni.yml", "postgres.yml", "pgbouncer.yml",
            "haproxy.yml", "pgcluster.yml");

    private final Path dir;
    private final int prometheusPort;
    private final List<ManagedProcess> exporters;
    private final ManagedProcess prometheus;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    Monitoring(Path dir, int prometheusPort, List<ManagedProcess> exporters, ManagedProcess prometheus) {
        this.dir = dir;
        this.prometheusPort = prometheusPort;
        this.exporters = List.copyOf(exporters);
        this.prometheus = prometheus;
    }

    /**
     * The folder of Prometheus's configuration, rules, {@code targets/} and data.
     *
     * @return {@code <baseDir>/monitoring}
     */
    public Path dir() {
        return dir;
    }

    /**
     * Prometheus's HTTP API and UI.
     *
     * @return {@code http://127.0.0.1:<port>}
     */
    public String prometheusUrl() {
        return "http://" + PatroniCluster.HOST + ":" + prometheusPort;
    }

    /**
     * Copies {@code prometheus.yml} and every other {@code *.yml} file of {@code configDir} (rule files, rule tests)
     * into {@link #dir()}, each through {@code edit} (a test shortens the scrape interval this way), then starts
     * Prometheus on that configuration and waits until it is ready. The copied configuration must take its targets
     * from {@code targets/*.yml} (see {@link #TARGET_FILES}).
     *
     * @param configDir a folder with {@code prometheus.yml}
     * @param edit applied to the text of every copied file
     * @throws TestkitException if Prometheus refuses the configuration or does not become ready within 30 s
     */
    public void startPrometheus(Path configDir, UnaryOperator<String> edit) {
        try (Stream<Path> files = Files.list(configDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".yml")).toList()) {
                Files.writeString(dir.resolve(f.getFileName().toString()), edit.apply(Files.readString(f)));
            }
        } catch (IOException e) {
            throw new TestkitException("Cannot copy the Prometheus configuration from " + configDir + ": " + e, e);
        }
        if (!Files.isRegularFile(dir.resolve("prometheus.yml"))) {
            throw new TestkitException("No prometheus.yml in " + configDir);
        }
        prometheus.start();
        Await.until("Prometheus on " + prometheusUrl() + " to be ready", Duration.ofSeconds(30), () -> {
            if (!prometheus.isAlive()) {
                throw new TestkitException("Prometheus exited: " + prometheus.tail(20));
            }
            return get("/-/ready").startsWith("Prometheus") ? Boolean.TRUE : null;
        });
    }

    /**
     * Makes Prometheus scrape these application instances (job {@code pgcluster}, {@code targets/pgcluster.yml}):
     * pgcluster's meters, served at {@code /metrics}.
     *
     * @param hostPorts {@code host:port} of each instance
     */
    public void scrapeApplications(List<String> hostPorts) {
        writeTargets(dir, "pgcluster.yml", List.of(new Target(hostPorts, Map.of())));
    }

    /**
     * Runs an instant query.
     *
     * @param promql the expression
     * @return the {@code data.result} list of Prometheus's answer (for a vector: maps with {@code metric} and
     *     {@code value})
     * @throws TestkitException if Prometheus answers with an error
     */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> query(String promql) {
        Map<String, Object> data = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        return (List<Map<String, Object>>) data.get("result");
    }

    /**
     * A GET on Prometheus's HTTP API.
     *
     * @param pathAndQuery e.g. {@code /api/v1/rules} or {@code /api/v1/targets?state=active}
     * @return the {@code data} member of the answer
     * @throws TestkitException if the status is not {@code success}
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> api(String pathAndQuery) {
        String body = get(pathAndQuery);
        Map<String, Object> answer = Json.parseObject(body);
        if (!"success".equals(answer.get("status"))) {
            throw new TestkitException("Prometheus " + pathAndQuery + ": " + body);
        }
        return (Map<String, Object>) answer.get("data");
    }

    /**
     * Waits until Prometheus has scraped every target it knows at least once and the last scrape of each succeeded.
     *
     * @param jobs jobs that must have at least one target
     * @param timeout how long to wait
     * @throws TestkitException naming the targets that are not up
     */
    @SuppressWarnings("unchecked")
    public void awaitTargetsUp(List<String> jobs, Duration timeout) {
        Await.until("every Prometheus target of " + jobs + " to be up", timeout, () -> {
            List<Map<String, Object>> active = (List<Map<String, Object>>) api("/api/v1/targets?state=active")
                    .get("activeTargets");
            List<String> down = active.stream().filter(t -> !"up".equals(t.get("health")))
                    .map(t -> t.get("scrapeUrl") + " " + t.get("health") + " " + t.get("lastError")).toList();
            List<String> missing = jobs.stream().filter(j -> active.stream()
                    .noneMatch(t -> j.equals(((Map<String, Object>) t.get("labels")).get("job")))).toList();
            if (!down.isEmpty() || !missing.isEmpty()) {
                throw new IllegalStateException("not up: " + down + ", no target yet for " + missing);
            }
            return Boolean.TRUE;
        });
    }

    private String get(String pathAndQuery) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl() + pathAndQuery))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.body();
        } catch (IOException e) {
            throw new TestkitException("Prometheus " + pathAndQuery + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted", e);
        }
    }

    void startExporters() {
        exporters.forEach(ManagedProcess::start);
    }

    /** The exporters, and Prometheus once started (before that the rig must neither restart nor stop it). */
    List<ManagedProcess> processes() {
        List<ManagedProcess> l = new ArrayList<>(exporters);
        if (prometheus.handle().isPresent()) {
            l.add(prometheus);
        }
        return l;
    }

    @Override
    public String toString() {
        return "Monitoring[prometheus=" + prometheusPort + ", " + exporters.size() + " exporters]";
    }

    // ---- setting it up (ClusterParts) ------------------------------------------------------------------------------

    /** One {@code file_sd} entry: targets sharing labels. */
    record Target(List<String> targets, Map<String, String> labels) {
    }

    /**
     * A PgBouncer that gets a pgbouncer_exporter: {@code name} names the exporter's process and files, {@code port}
     * is PgBouncer's, {@code labels} those of the exporter's target.
     */
    record Bouncer(String name, int port, Map<String, String> labels) {
    }

    /**
     * The PgBouncers of a rig that get an exporter: the central write and read fleets ({@code pgbouncer} write or
     * read) and each node's own ({@code pgbouncer} node, {@code member} the node), so that the dashboard's fleet
     * variable has three values however many nodes there are, and {@code member} joins a node's PgBouncer with its
     * PostgreSQL and Patroni.
     *
     * @param nodePoolers PgBouncer port by node name ({@link NodePoolers#ports()}), empty without poolerPerNode
     */
    static List<Bouncer> bouncers(String scope, int writePort, int readPort, Map<String, Integer> nodePoolers) {
        List<Bouncer> l = new ArrayList<>();
        l.add(new Bouncer("write", writePort, labels("cluster", scope, "pgbouncer", "write")));
        l.add(new Bouncer("read", readPort, labels("cluster", scope, "pgbouncer", "read")));
        nodePoolers.forEach((member, port) -> l.add(new Bouncer(member + "-node", port,
                labels("cluster", scope, "pgbouncer", "node", "member", member))));
        return l;
    }

    /** Labels in the order given (a target file is read by people too). */
    private static Map<String, String> labels(String... keysAndValues) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Writes {@code targets/<file>} in Prometheus's file_sd YAML, replacing it atomically (Prometheus watches it). */
    static void writeTargets(Path dir, String file, List<Target> entries) {
        StringBuilder b = new StringBuilder("# Written by pgcluster-testkit.\n");
        for (Target t : entries) {
            b.append("- targets: [").append(t.targets().stream().map(s -> "'" + s + "'")
                    .collect(Collectors.joining(", "))).append("]\n");
            if (!t.labels().isEmpty()) {
                b.append("  labels:\n");
                t.labels().forEach((k, v) -> b.append("    ").append(k).append(": '").append(v).append("'\n"));
            }
        }
        try {
            Path targets = Files.createDirectories(dir.resolve("targets"));
            Path tmp = targets.resolve("." + file + ".tmp");
            Files.writeString(tmp, b.toString());
            Files.move(tmp, targets.resolve(file), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TestkitException("Cannot write Prometheus targets " + file + ": " + e, e);
        }
    }

    /**
     * postgres_exporter for one node: the DSN without its password in the environment, the password in a file only
     * its user reads (an environment variable would show in {@code /proc/<pid>/environ} of the wrapping command line).
     */
    static List<String> postgresExporterCommand(Path exporter, int pgPort, int listenPort, String user,
            Path passwordFile) {
        return List.of("DATA_SOURCE_URI=" + PatroniCluster.HOST + ":" + pgPort + "/postgres?sslmode=disable",
                "DATA_SOURCE_USER=" + user, "DATA_SOURCE_PASS_FILE=" + passwordFile, exporter.toString(),
                "--web.listen-address=" + PatroniCluster.HOST + ":" + listenPort, "--log.level=warn");
    }

    /**
     * pgbouncer_exporter for one PgBouncer, run through {@code pgbouncer_exporter_compat.py} (see there: Debian 12's
     * exporter 1.7 fails at start against PgBouncer 1.18), logging in to PgBouncer's admin console with a pgpass file.
     */
    static List<String> pgbouncerExporterCommand(Path python, Path compat, int pgbouncerPort, int listenPort,
            String user, Path pgpass) {
        return List.of("PGPASSFILE=" + pgpass, python.toString(), compat.toString(), "--host", PatroniCluster.HOST,
                "--port", Integer.toString(listenPort), "--pgbouncer-host", PatroniCluster.HOST, "--pgbouncer-port",
                Integer.toString(pgbouncerPort), "--pgbouncer-user", user);
    }

    static List<String> prometheusCommand(Path prometheus, Path dir, int port) {
        return List.of(prometheus.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--storage.tsdb.retention.time=1h",
                "--web.listen-address=" + PatroniCluster.HOST + ":" + port, "--log.level=warn");
    }

    /** Copies the compatibility wrapper of the PgBouncer exporter from the kit's resources into {@code dir}. */
    static Path writeCompatWrapper(Path dir) {
        Path target = dir.resolve("pgbouncer_exporter_compat.py");
        try (InputStream in = Monitoring.class.getResourceAsStream("pgbouncer_exporter_compat.py")) {
            if (in == null) {
                throw new TestkitException("pgbouncer_exporter_compat.py missing from the testkit's resources");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new TestkitException("Cannot write " + target + ": " + e, e);
        }
    }

    /** A file only its owner reads, for a password. */
    static void writeSecret(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
}
