package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus configuration, rules and dashboards under docs/deploy pass Prometheus's own checks (promtool of
 * Prometheus 2.42, which scripts/setup.sh installs): the scrape configuration and both rule files load, the alerts
 * of cluster-rules.yml fire and stay quiet as cluster-rules.test.yml says (every alert has a case there), and every
 * query of every dashboard, its Grafana variables replaced, is valid PromQL. That they return data from a real rig is
 * {@code MonitoringIT}'s part.
 */
class ClusterMonitoringArtifactsTest {
    private static final Path PROMTOOL = Path.of(System.getProperty("pgcluster.promtool", "/usr/bin/promtool"));
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void promtoolAcceptsTheScrapeConfigurationAndBothRuleFiles() {
        MonitoringFiles.Result r = promtool(MonitoringFiles.prometheusDir(), "check", "config", "prometheus.yml");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 2 rule files found", "cluster-rules.yml", "pgcluster-alerts.yml");
    }

    @Test
    void everyClusterAlertFiresAndStaysQuietAsItsUnitTestSays() {
        MonitoringFiles.Result r = promtool(MonitoringFiles.prometheusDir(), "test", "rules", "cluster-rules.test.yml");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
        String tests = MonitoringFiles.read(MonitoringFiles.prometheusDir().resolve("cluster-rules.test.yml"));
        List<String> alerts = alertNames();
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(10);
        for (String alert : alerts) {
            assertThat(tests).as("a promtool test of alert %s", alert)
                    .containsPattern("alertname: " + alert + "\\s*\\n\\s*exp_alerts:\\s*\\n\\s*- exp_labels");
        }
    }

    /**
     * A rule that uses a recorded series comes after its recording rule in the same group: groups are evaluated
     * independently (promtool's unit tests even run them in random order), so across groups an alert sees the
     * recording one evaluation late or not, and its {@code for:} ends an evaluation early or late at random.
     */
    @Test
    void recordedSeriesAreUsedAfterTheirRuleInTheSameGroup() {
        assertThat(misplacedUses(MonitoringFiles.read(MonitoringFiles.prometheusDir().resolve("cluster-rules.yml"))))
                .isEmpty();
        String twoGroups = "groups:\n  - name: a\n    rules:\n      - record: x:y:sum\n        expr: sum(y)\n"
                + "  - name: b\n    rules:\n      - alert: X\n        expr: x:y:sum > 1\n";
        assertThat(misplacedUses(twoGroups)).containsExactly("X uses x:y:sum of another group");
        String before = "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: x:y:sum > 1\n"
                + "      - record: x:y:sum\n        expr: sum(y)\n";
        assertThat(misplacedUses(before)).containsExactly("X uses x:y:sum before its rule");
    }

    /** Rules of a rules file that use a series recorded in another group, or later in their own. */
    private static List<String> misplacedUses(String yaml) {
        Map<String, Integer> recordedInGroup = new HashMap<>();
        List<String[]> rules = new ArrayList<>(); // group, name, expr
        int group = -1;
        String name = null;
        for (String line : yaml.split("\n")) {
            String t = line.strip();
            if (t.startsWith("- name:")) {
                group++;
            } else if (t.startsWith("- record:") || t.startsWith("- alert:")) {
                name = t.substring(t.indexOf(':') + 1).strip();
                if (t.startsWith("- record:")) {
                    recordedInGroup.putIfAbsent(name, group);
                }
                rules.add(new String[] {Integer.toString(group), name, ""});
            } else if (!rules.isEmpty() && !t.startsWith("#")) {
                rules.get(rules.size() - 1)[2] += " " + t;
            }
        }
        List<String> misplaced = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String[] r : rules) {
            for (Map.Entry<String, Integer> rec : recordedInGroup.entrySet()) {
                if (Pattern.compile("(?<![a-zA-Z0-9_:])" + Pattern.quote(rec.getKey()) + "(?![a-zA-Z0-9_:])")
                        .matcher(r[2]).find()) {
                    if (rec.getValue() != Integer.parseInt(r[0])) {
                        misplaced.add(r[1] + " uses " + rec.getKey() + " of another group");
                    } else if (!seen.containsKey(rec.getKey())) {
                        misplaced.add(r[1] + " uses " + rec.getKey() + " before its rule");
                    }
                }
            }
            seen.put(r[1], Integer.parseInt(r[0]));
        }
        return misplaced;
    }

    @Test
    void everyClusterAlertSaysWhatHappened() {
        String yaml = MonitoringFiles.read(MonitoringFiles.prometheusDir().resolve("cluster-rules.yml"));
        String[] alerts = yaml.split("\n\\s*- alert:");
        assertThat(alerts.length - 1).isEqualTo(alertNames().size());
        for (int i = 1; i < alerts.length; i++) {
            assertThat(alerts[i]).as("alert %s", alerts[i].lines().findFirst().orElse(""))
                    .containsPattern("\n\\s+severity:\\s*(critical|warning)")
                    .containsPattern("\n\\s+summary:\\s*\\S")
                    .containsPattern("\n\\s+description:\\s*\\S");
        }
    }

    @Test
    void everyDashboardQueryIsValidPromql(@TempDir Path tmp) throws IOException {
        List<String> exprs = new ArrayList<>();
        for (Path dashboard : MonitoringFiles.dashboards()) {
            String json = MonitoringFiles.read(dashboard);
            Map<String, String> values = new HashMap<>();
            for (Map.Entry<String, String> v : MonitoringFiles.variables(json).entrySet()) {
                String[] lv = MonitoringFiles.labelValues(v.getValue());
                assertThat(lv).as("variable %s of %s: label_values(selector, label)", v.getKey(), dashboard)
                        .isNotNull();
                exprs.add(MonitoringFiles.resolve(lv[0], values));
                values.put(v.getKey(), ".*"); // what the variable's All (allValue) sends
            }
            values.put("datasource", "unused");
            for (String q : MonitoringFiles.panelQueries(json)) {
                exprs.add(MonitoringFiles.resolve(q, values));
            }
        }
        assertThat(exprs).hasSizeGreaterThan(60);
        assertThat(promtoolCheckQueries(tmp, exprs)).isZero();
    }

    @Test
    void everyPanelOfTheClusterDashboardsUsesTheDatasourceVariable() throws IOException {
        for (Path dashboard : MonitoringFiles.dashboards()) {
            String json = MonitoringFiles.read(dashboard);
            Matcher m = Pattern.compile(
                    "\"datasource\"\\s*:\\s*\\{((?:[^{}\"]|\"(?:[^\"\\\\]|\\\\.)*\")*)}").matcher(json);
            int n = 0;
            while (m.find()) {
                n++;
                assertThat(m.group(1)).as("%s: %s", dashboard.getFileName(), m.group())
                        .contains("\"uid\": \"${datasource}\"");
            }
            assertThat(n).as("datasources in %s", dashboard.getFileName()).isGreaterThan(10);
        }
    }

    /** The checks can fail: promtool refuses a misspelt function and an unbalanced expression. */
    @Test
    void promtoolRefusesInvalidPromql(@TempDir Path tmp) throws IOException {
        assertThat(promtoolCheckQueries(tmp, List.of("sum by (cluster) (patroni_primary)"))).isZero();
        assertThat(promtoolCheckQueries(tmp, List.of("sum by (cluster) (rates(patroni_primary[1m]))"))).isNotZero();
        assertThat(promtoolCheckQueries(tmp, List.of("max(patroni_primary"))).isNotZero();
    }

    private static int promtoolCheckQueries(Path tmp, List<String> exprs) throws IOException {
        Path rules = Files.writeString(tmp.resolve("queries.yml"), MonitoringFiles.recordingRules(exprs));
        MonitoringFiles.Result r = promtool(tmp, "check", "rules", rules.toString());
        if (r.exit() != 0) {
            System.err.println(r.output());
        }
        return r.exit();
    }

    private static List<String> alertNames() {
        String yaml = MonitoringFiles.read(MonitoringFiles.prometheusDir().resolve("cluster-rules.yml"));
        Matcher m = Pattern.compile("(?m)^\\s*- alert:\\s*(\\S+)").matcher(yaml);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static MonitoringFiles.Result promtool(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        return MonitoringFiles.run(dir, TIMEOUT, command);
    }
}
