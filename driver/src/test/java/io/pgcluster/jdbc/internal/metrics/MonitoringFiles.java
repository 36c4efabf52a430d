package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.testkit.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The monitoring files under docs/deploy (Prometheus configuration and rules, Grafana dashboards), read the way the
 * tests need them, and the external tools that check them (promtool, tsc). Not thread-safe; static helpers.
 */
final class MonitoringFiles {
    /** Grafana's built-in interval variables, replaced by what they would be on a short dashboard range. */
    static final Map<String, String> BUILT_INS = Map.of("__rate_interval", "1m", "__interval", "15s", "__range",
            "1h");
    private static final Pattern LABEL_VALUES = Pattern.compile(
            "label_values\\((.+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([a-zA-Z_][a-zA-Z0-9_]*)}|\\$([a-zA-Z_][a-zA-Z0-9_]*)");

    private MonitoringFiles() {
    }

    static Path deployDir() {
        return Repository.root().resolve("docs").resolve("deploy");
    }

    static Path prometheusDir() {
        return deployDir().resolve("prometheus");
    }

    /** Every dashboard under docs/deploy/grafana. */
    static List<Path> dashboards() throws IOException {
        try (Stream<Path> s = Files.list(deployDir().resolve("grafana"))) {
            List<Path> l = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            assertThat(l).as("dashboards in docs/deploy/grafana").hasSizeGreaterThanOrEqualTo(3);
            return l;
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + p + ": " + e, e);
        }
    }

    /** The PromQL of every panel target and annotation of a dashboard. */
    static List<String> panelQueries(String json) {
        return DeployArtifactsTest.jsonValues(json, "expr");
    }

    /**
     * The query variables of a dashboard, in order: name to its {@code label_values(selector, label)} as the
     * {@code definition} member holds it.
     */
    static Map<String, String> variables(String json) {
        Map<String, String> vars = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"([a-zA-Z_][a-zA-Z0-9_]*)\",\\s*\"label\"\\s*:\\s*\"[^\"]*\",\\s*"
                + "\"type\"\\s*:\\s*\"query\",(?s:.*?)\"definition\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        while (m.find()) {
            vars.put(m.group(1), DeployArtifactsTest.jsonStrings("\"" + m.group(2) + "\"").get(0));
        }
        return vars;
    }

    /** The selector and the label of {@code label_values(selector, label)}, or null for another query. */
    static String[] labelValues(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        return m.matches() ? new String[] {m.group(1), m.group(2)} : null;
    }

    /** The expression with Grafana's variables replaced: {@code values} first, then {@link #BUILT_INS}. */
    static String resolve(String expr, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String v = values.containsKey(name) ? values.get(name) : BUILT_INS.get(name);
            assertThat(v).as("value of the Grafana variable $%s in %s", name, expr).isNotNull();
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }

    /** The output (stdout and stderr) and exit code of a command. */
    record Result(int exit, String output) {
    }

    static Result run(Path dir, Duration timeout, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes(); // ends when the process closes its output
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + " (scripts/setup.sh installs it): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A rules file that records every expression (what promtool parses), for checking PromQL that is not a rule. */
    static String recordingRules(List<String> exprs) {
        List<String> l = new ArrayList<>(List.of("groups:", "  - name: queries", "    rules:"));
        for (int i = 0; i < exprs.size(); i++) {
            l.add("      - record: query:" + i);
            l.add("        expr: '" + exprs.get(i).replace("'", "''").replace("\n", " ") + "'");
        }
        return String.join("\n", l) + "\n";
    }
}
