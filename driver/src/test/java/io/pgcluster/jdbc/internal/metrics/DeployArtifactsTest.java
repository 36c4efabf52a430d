package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.micrometer.PgClusterMeterBinder;
import io.pgcluster.testkit.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the Prometheus alerts under docs/deploy/ query only what pgcluster exports. Every metric
 * name in their PromQL must be a sample of a real Prometheus scrape of {@link PgClusterMeterBinder} (on a data
 * source whose addresses refuse connections, driven through a failed write and a retried unit of work so that every
 * meter exists) and a name docs/metrics.md documents; every label they match on must be one of that metric's labels,
 * and every label they group by must be a label of a metric in the same expression.
 */
class DeployArtifactsTest {
    /** Labels Prometheus adds to every sample of a target when it scrapes; not pgcluster's. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    private static Path deploy;
    /** Sample names of the scrape (what PromQL selects) and their label names. */
    private static Map<String, Set<String>> scraped;
    /** Sample names docs/metrics.md documents, and the labels it documents for each. */
    private static Map<String, Set<String>> documented;

    @BeforeAll
    static void scrapeAndReadTheDocs() throws IOException {
        Path root = Repository.root();
        deploy = root.resolve("docs").resolve("deploy");
        scraped = samples(scrape());
        documented = documentedSamples(Files.readString(root.resolve("docs").resolve("metrics.md"),
                StandardCharsets.UTF_8));
    }

    @Test
    void theDashboardQueriesOnlyWhatPgclusterExports() throws IOException {
        String json = Files.readString(deploy.resolve("grafana").resolve("pgcluster-dashboard.json"),
                StandardCharsets.UTF_8);
        List<String> exprs = jsonValues(json, "expr");
        assertThat(exprs).as("panel queries").hasSizeGreaterThan(10);
        List<String> queries = new ArrayList<>(exprs);
        // template variables: label_values(<selector>, <label>)
        for (String value : jsonStrings(json)) {
            Matcher m = LABEL_VALUES.matcher(value);
            if (m.matches()) {
                queries.add(m.group(1));
                assertLabels(value, parse(m.group(1)), Set.of(m.group(2)));
            }
        }
        assertThat(queries.size()).as("template variables from label_values(...)").isGreaterThan(exprs.size());
        for (String q : queries) {
            assertExported(q);
        }
    }

    @Test
    void everyPanelUsesTheDatasourceVariable() throws IOException {
        String json = Files.readString(deploy.resolve("grafana").resolve("pgcluster-dashboard.json"),
                StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"datasource\"\\s*:\\s*\\{((?:[^{}\"]|" + JSON_STRING.pattern() + ")*)}")
                .matcher(json);
        int n = 0;
        while (m.find()) {
            n++;
            assertThat(m.group(1)).as("datasource %s", m.group()).contains("\"uid\": \"${datasource}\"");
        }
        assertThat(n).isGreaterThan(10);
    }

    @Test
    void theAlertsQueryOnlyWhatPgclusterExportsAndSayWhatHappened() throws IOException {
        String yaml = Files.readString(deploy.resolve("prometheus").resolve("pgcluster-alerts.yml"),
                StandardCharsets.UTF_8);
        List<String> exprs = yamlValues(yaml, "expr");
        String[] alerts = yaml.split("\n\\s*- alert:");
        assertThat(alerts.length - 1).as("alerts").isGreaterThanOrEqualTo(5).isEqualTo(exprs.size());
        for (int i = 1; i < alerts.length; i++) {
            assertThat(alerts[i]).as("alert %s", alerts[i].lines().findFirst().orElse(""))
                    .containsPattern("\n\\s+annotations:\\s*\n")
                    .containsPattern("\n\\s+summary:\\s*\\S")
                    .containsPattern("\n\\s+description:\\s*\\S");
        }
        for (String q : exprs) {
            assertExported(q);
        }
    }

    /** The check can fail: a name, a label or a grouping pgcluster does not export is reported. */
    @Test
    void aQueryOfSomethingPgclusterDoesNotExportIsRejected() {
        assertExported("sum by (cluster, sqlstate_class) (rate(pgcluster_connection_failures_total"
                + "{cluster=~\"$cluster\"}[$__rate_interval]))");
        assertThatThrownBy(() -> assertExported("rate(pgcluster_connection_failures[5m])"))
                .hasMessageContaining("pgcluster_connection_failures");
        assertThatThrownBy(() -> assertExported("hikaricp_connections_active"))
                .hasMessageContaining("hikaricp_connections_active");
        assertThatThrownBy(() -> assertExported("pgcluster_failures_reported_total{sqlstate_class=\"08\"}"))
                .hasMessageContaining("sqlstate_class");
        assertThatThrownBy(() -> assertExported("sum by (role) (pgcluster_member_lag_bytes)"))
                .hasMessageContaining("role");
        assertThatThrownBy(() -> assertExported("pgcluster_leader_wait_seconds_bucket"))
                .hasMessageContaining("pgcluster_leader_wait_seconds_bucket");
    }

    @Test
    void promqlIsTakenApart() {
        Query q = parse("sum by (cluster, member) (rate(pgcluster_pool_connections_acquire_seconds_sum"
                + "{cluster=~\"$cluster\", instance=~\"${instance}\"}[$__rate_interval] offset 1m)) / on (cluster)"
                + " group_left(role) label_replace(pgcluster_x, \"dst\", \"$1\", \"src\", \"(.*)\") > bool 1e6"
                + " and vector(${max_lag}) or pgcluster_y {phase!~'a|b'}");
        assertThat(q.selectors()).containsExactly(
                new Selector("pgcluster_pool_connections_acquire_seconds_sum", Set.of("cluster", "instance")),
                new Selector("pgcluster_x", Set.of()), new Selector("pgcluster_y", Set.of("phase")));
        assertThat(q.grouping()).containsExactlyInAnyOrder("cluster", "member", "role");
        assertThat(yamlValues("  - alert: A\n    expr: |\n      sum(x)\n        > 0\n    for: 1m\n"
                + "  - alert: B\n    expr: 'y{a=\"b\"} == 0'\n  - alert: C\n    expr: z > 1\n", "expr"))
                .containsExactly("sum(x)\n  > 0", "y{a=\"b\"} == 0", "z > 1");
    }

    // ---- the check ---------------------------------------------------------------------------------------------

    private static void assertExported(String expr) {
        Query q = parse(expr);
        assertThat(q.selectors()).as("metrics in %s", expr).isNotEmpty();
        Set<String> labelsOfExpr = new TreeSet<>(TARGET_LABELS);
        for (Selector s : q.selectors()) {
            assertThat(scraped).as("'%s' in %s: not a sample of a Prometheus scrape of PgClusterMeterBinder",
                    s.metric(), expr).containsKey(s.metric());
            assertThat(documented).as("'%s' in %s: not documented in docs/metrics.md", s.metric(), expr)
                    .containsKey(s.metric());
            for (String label : s.labels()) {
                if (!TARGET_LABELS.contains(label)) {
                    assertThat(scraped.get(s.metric())).as("label '%s' of %s in %s: not in the scrape", label,
                            s.metric(), expr).contains(label);
                    assertThat(documented.get(s.metric())).as("label '%s' of %s in %s: not documented", label,
                            s.metric(), expr).contains(label);
                }
            }
            labelsOfExpr.addAll(scraped.get(s.metric()));
        }
        for (String label : q.grouping()) {
            assertThat(labelsOfExpr).as("label '%s' grouped by in %s: no metric there has it", label, expr)
                    .contains(label);
        }
    }

    private static void assertLabels(String what, Query q, Set<String> labels) {
        for (Selector s : q.selectors()) {
            Set<String> own = new TreeSet<>(labels);
            own.removeAll(TARGET_LABELS);
            assertThat(scraped.getOrDefault(s.metric(), Set.of())).as("labels of %s in %s", s.metric(), what)
                    .containsAll(own);
        }
    }

    // ---- what pgcluster exports ----------------------------------------------------------------------------------

    /** A Prometheus scrape in which every pgcluster meter exists, from a data source that needs no server. */
    private static String scrape() {
        PgClusterConfig config = PgClusterConfig.builder().endpoints("127.0.0.1:1", "127.0.0.1:2").name("deploy")
                .database("db").user("app").password("secret").set("minIdle", "0").set("failoverTimeout", "300ms")
                .set("connectionTimeout", "250ms").set("retryMaxAttempts", "2").set("retryInitialBackoff", "1ms")
                .build();
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
            new PgClusterMeterBinder(ds).bindTo(prometheus);
            // a write: no leader accepts connections, so it waits failoverTimeout and fails with 08001
            assertThatThrownBy(() -> {
                try (Connection c = ds.getConnection()) {
                    c.createStatement().execute("SELECT 1");
                }
            }).isInstanceOf(SQLException.class);
            // a unit of work failing with a retryable SQLState is run once more (a retry), then fails
            assertThatThrownBy(() -> ds.inTransaction(TransactionMode.READ_ONLY, c -> {
                throw new SQLException("could not serialize access (simulated)", "40001");
            })).isInstanceOf(SQLException.class);
            return prometheus.scrape();
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? \\S+$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    /** Sample name to label names, for the pgcluster samples of a Prometheus text scrape. */
    static Map<String, Set<String>> samples(String text) {
        Map<String, Set<String>> samples = new TreeMap<>();
        text.lines().filter(l -> l.startsWith("pgcluster_")).forEach(l -> {
            Matcher m = SAMPLE.matcher(l);
            assertThat(m.matches()).as("sample line %s", l).isTrue();
            Set<String> labels = samples.computeIfAbsent(m.group(1), k -> new TreeSet<>());
            if (m.group(2) != null) {
                Matcher lm = LABEL.matcher(m.group(2));
                while (lm.find()) {
                    labels.add(lm.group(1));
                }
            }
        });
        assertThat(samples).as("pgcluster samples in the scrape").hasSizeGreaterThan(20);
        return samples;
    }

    /**
     * The samples docs/metrics.md documents (its tables: meter, Prometheus name, type, unit, tags, meaning) with
     * their labels: {@code cluster} and the tags column, in Prometheus spelling. A timer is documented as its
     * {@code _count}, {@code _sum} and {@code _max} samples.
     */
    static Map<String, Set<String>> documentedSamples(String markdown) {
        Map<String, Set<String>> samples = new TreeMap<>();
        for (String line : markdown.split("\n")) {
            String[] cells = line.replace("\\|", "/").split("\\|");
            if (cells.length < 7 || !cells[2].trim().matches("`pgcluster_[a-z_]+`")) {
                continue;
            }
            String name = cells[2].trim().replace("`", "");
            Set<String> labels = new TreeSet<>(Set.of("cluster"));
            for (String tag : cells[5].split(",")) {
                String t = tag.trim().split("=")[0].replace("`", "").replace('.', '_');
                if (!t.isEmpty()) {
                    labels.add(t);
                }
            }
            String type = cells[3].trim().toLowerCase(Locale.ROOT);
            if (type.equals("timer")) {
                for (String suffix : List.of("_count", "_sum", "_max")) {
                    samples.put(name + suffix, labels);
                }
            } else {
                samples.put(name, labels);
            }
        }
        assertThat(samples).as("meters documented in docs/metrics.md").hasSizeGreaterThan(20);
        return samples;
    }

    // ---- reading the files -------------------------------------------------------------------------------------

    private static final Pattern JSON_STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern LABEL_VALUES = Pattern.compile(
            "label_values\\((.+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");

    /** Every JSON string of {@code json}, unescaped. */
    static List<String> jsonStrings(String json) {
        List<String> values = new ArrayList<>();
        Matcher m = JSON_STRING.matcher(json);
        while (m.find()) {
            values.add(unescapeJson(m.group(1)));
        }
        return values;
    }

    /** The string values of every member named {@code key}; all of them, or the test fails. */
    static List<String> jsonValues(String json, String key) {
        List<String> values = new ArrayList<>();
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*" + JSON_STRING.pattern()).matcher(json);
        while (m.find()) {
            values.add(unescapeJson(m.group(1)));
        }
        assertThat(values).as("every \"%s\" is a string", key)
                .hasSize(count(Pattern.compile("\"" + key + "\"\\s*:"), json));
        return values;
    }

    private static String unescapeJson(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append(e); // " \ /
            }
        }
        return b.toString();
    }

    /**
     * The values of every {@code key:} of a YAML file: plain or quoted on the same line, or a block scalar
     * ({@code |} or {@code >}, the lines indented below the key, joined with newlines); all of them, or the test
     * fails.
     */
    static List<String> yamlValues(String yaml, String key) {
        List<String> values = new ArrayList<>();
        String[] lines = yaml.split("\n", -1);
        Pattern keyLine = Pattern.compile("^(\\s*)(?:- )?" + key + ":\\s*(.*)$");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = keyLine.matcher(lines[i]);
            if (!m.matches()) {
                continue;
            }
            String v = m.group(2).trim();
            if (v.matches("[|>][-+]?")) {
                int indent = m.group(1).length();
                List<String> block = new ArrayList<>();
                while (i + 1 < lines.length && (lines[i + 1].isBlank()
                        || lines[i + 1].length() - lines[i + 1].stripLeading().length() > indent)) {
                    block.add(lines[++i]);
                }
                int strip = block.stream().filter(l -> !l.isBlank())
                        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
                v = String.join("\n", block.stream().map(l -> l.isBlank() ? "" : l.substring(strip)).toList())
                        .strip();
            } else if (v.startsWith("'") && v.endsWith("'") && v.length() >= 2) {
                v = v.substring(1, v.length() - 1).replace("''", "'");
            } else if (v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2) {
                v = unescapeJson(v.substring(1, v.length() - 1));
            }
            values.add(v);
        }
        assertThat(values).as("every %s: is read", key)
                .hasSize(count(Pattern.compile("(?m)^\\s*(?:- )?" + key + ":"), yaml));
        return values;
    }

    private static int count(Pattern p, String text) {
        Matcher m = p.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    // ---- PromQL, taken apart just enough -----------------------------------------------------------------------

    /** A metric selected by an expression, with the label names its matchers use. */
    record Selector(String metric, Set<String> labels) {
    }

    /** The selectors of an expression and the labels of its by/without/on/ignoring/group_x clauses. */
    record Query(List<Selector> selectors, Set<String> grouping) {
    }

    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left",
            "group_right");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf",
            "nan");
    /** Aggregation operators: followed by {@code (} or by a by/without clause. */
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev",
            "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");

    /**
     * Takes a PromQL expression apart: identifiers followed by {@code (} are functions, aggregation operators and
     * keywords are skipped, and every other identifier is a metric name, with the label names of the matchers that
     * follow it. Strings, ranges ({@code [5m]}), numbers, durations and Grafana variables ({@code $x},
     * {@code ${x}}) are skipped.
     */
    static Query parse(String expr) {
        List<Selector> selectors = new ArrayList<>();
        Set<String> grouping = new LinkedHashSet<>();
        Selector pending = null; // the last metric name, until something other than its matchers follows
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
                pending = null;
            } else if (c == '#') {
                i = expr.indexOf('\n', i) < 0 ? n : expr.indexOf('\n', i);
            } else if (c == '{') {
                int end = closing(expr, i);
                Set<String> labels = identifiers(expr.substring(i + 1, end));
                assertThat(pending).as("a selector without a metric name in %s", expr).isNotNull();
                pending.labels().addAll(labels);
                pending = null;
                i = end + 1;
            } else if (c == '[') {
                i = closing(expr, i) + 1;
                pending = null;
            } else if (c == '$') {
                i++;
                if (i < n && expr.charAt(i) == '{') {
                    i = closing(expr, i) + 1;
                } else {
                    while (i < n && isIdentifierPart(expr.charAt(i))) {
                        i++;
                    }
                }
                pending = null;
            } else if (Character.isDigit(c) || c == '.') {
                while (i < n && (isIdentifierPart(expr.charAt(i)) || expr.charAt(i) == '.')) {
                    i++; // 16, 1e6, 0x10, 5m
                }
                pending = null;
            } else if (isIdentifierStart(c)) {
                int start = i;
                while (i < n && isIdentifierPart(expr.charAt(i))) {
                    i++;
                }
                String word = expr.substring(start, i);
                int next = i;
                while (next < n && Character.isWhitespace(expr.charAt(next))) {
                    next++;
                }
                boolean call = next < n && expr.charAt(next) == '(';
                pending = null;
                if (GROUPING.contains(word)) {
                    if (call) {
                        int end = closing(expr, next);
                        grouping.addAll(identifiers(expr.substring(next + 1, end)));
                        i = end + 1;
                    }
                } else if (!call && !KEYWORDS.contains(word.toLowerCase(Locale.ROOT))
                        && !AGGREGATIONS.contains(word)) {
                    pending = new Selector(word, new TreeSet<>());
                    selectors.add(pending);
                }
            } else {
                i++; // operators, parentheses, commas
                pending = null;
            }
        }
        return new Query(selectors, grouping);
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static boolean isIdentifierPart(char c) {
        return isIdentifierStart(c) || Character.isDigit(c);
    }

    /** The identifiers outside strings in a matcher list or a label list. */
    private static Set<String> identifiers(String s) {
        Set<String> ids = new LinkedHashSet<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(s, i);
            } else if (isIdentifierStart(c)) {
                int start = i;
                while (i < s.length() && isIdentifierPart(s.charAt(i))) {
                    i++;
                }
                ids.add(s.substring(start, i));
            } else {
                i++;
            }
        }
        return ids;
    }

    /** The index after the string literal that starts at {@code i}. */
    private static int skipString(String s, int i) {
        char quote = s.charAt(i);
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != quote) {
            j += quote != '`' && s.charAt(j) == '\\' ? 2 : 1;
        }
        assertThat(j).as("unterminated string in %s", s).isLessThan(s.length());
        return j + 1;
    }

    /** The index of the bracket that closes the one at {@code open}, strings skipped. */
    private static int closing(String s, int open) {
        char o = s.charAt(open);
        char c = o == '(' ? ')' : o == '[' ? ']' : '}';
        int depth = 0;
        int i = open;
        while (i < s.length()) {
            char x = s.charAt(i);
            if (x == '"' || x == '\'' || x == '`') {
                i = skipString(s, i);
                continue;
            }
            if (x == o) {
                depth++;
            } else if (x == c && --depth == 0) {
                return i;
            }
            i++;
        }
        throw new AssertionError("no '" + c + "' closes the '" + o + "' at " + open + " in " + s);
    }
}
