package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Grafana cannot run here (Debian 12 has no package), so each dashboard under docs/deploy/grafana is checked against
 * Grafana's published dashboard types instead: npm {@code @grafana/schema} and {@code typescript} at the versions
 * pinned in scripts/grafana-schema/ (scripts/setup.sh installs them with {@code npm ci} into
 * {@code $PGCLUSTER_TOOLS/grafana-schema}, default /opt/pgcluster; {@code -Dpgcluster.grafanaSchema} points
 * elsewhere). The dashboard becomes {@code const d: Json<Dashboard> = <the file>;} and {@code tsc --noEmit --strict}
 * must accept it: a misspelt field, a missing required one or a value of the wrong type fails.
 *
 * <p>Two allowances, both about the types rather than the dashboards: {@code Json<T>} turns the schema's string enums
 * into the union of their values (a JSON file can only hold the string, and TypeScript does not accept a string
 * literal for an enum type); and annotations are open objects, because the type of an annotation's {@code target}
 * is the one of Grafana's own annotation data source, while a Prometheus annotation keeps {@code expr}, {@code step}
 * and {@code titleFormat} next to its name, as Grafana's Prometheus data source reads them; and a query variable may
 * have {@code definition} (the query as text, which Grafana's editor writes and the schema does not list). Panel
 * options and field
 * config custom settings are loosely typed in the schema ({@code options} is any object), so they are not checked.
 */
class GrafanaDashboardTypesTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Test
    void everyDashboardHasGrafanasDashboardType(@TempDir Path tmp) throws IOException {
        List<Path> dashboards = MonitoringFiles.dashboards();
        List<String> files = new ArrayList<>();
        for (Path d : dashboards) {
            String name = d.getFileName().toString().replace(".json", "").replaceAll("[^A-Za-z0-9]", "_") + ".ts";
            Files.writeString(tmp.resolve(name), typed(MonitoringFiles.read(d)));
            files.add(name);
        }
        MonitoringFiles.Result r = tsc(tmp, files);
        assertThat(r.exit()).as("tsc on %s:\n%s", dashboards, r.output()).isZero();
    }

    /** The check can fail: a misspelt field, a required field missing and a wrong type are each refused by name. */
    @Test
    void aMisspeltFieldAMissingOneAndAWrongTypeAreRefused(@TempDir Path tmp) throws IOException {
        String good = MonitoringFiles.read(MonitoringFiles.deployDir().resolve("grafana").resolve(
                "cluster-dashboard.json"));
        assertThat(check(tmp, "good.ts", good).exit()).isZero();

        assertRefused(tmp, "misspelt.ts", good.replaceFirst("\"gridPos\"", "\"gridPosition\""), "gridPosition");
        assertRefused(tmp, "wrong.ts", good.replaceFirst("\"schemaVersion\": 39", "\"schemaVersion\": \"39\""),
                "Type 'string' is not assignable to type 'number'");
        assertRefused(tmp, "enum.ts", good.replaceFirst("\"mode\": \"absolute\"", "\"mode\": \"absolut\""),
                "absolut");
        assertRefused(tmp, "missing.ts", good.replaceFirst("\"name\": \"datasource\",\\s*", ""),
                "Property 'name' is missing");
    }

    private static void assertRefused(Path tmp, String file, String json, String message) throws IOException {
        MonitoringFiles.Result r = check(tmp, file, json);
        assertThat(r.exit()).as(file).isNotZero();
        assertThat(r.output()).contains(message);
    }

    private static MonitoringFiles.Result check(Path tmp, String file, String json) throws IOException {
        Files.writeString(tmp.resolve(file), typed(json));
        return tsc(tmp, List.of(file));
    }

    /** The dashboard as a TypeScript constant of Grafana's dashboard type (see the class comment). */
    static String typed(String json) {
        return String.join("\n",
                "import { AnnotationQuery, Dashboard, VariableModel } from '@grafana/schema';",
                "type Json<T> = T extends (infer U)[] ? Json<U>[] : T extends string ? `${T}`",
                "    : T extends object ? { [K in keyof T]: Json<T[K]> } : T;",
                "type Checked = Omit<Json<Dashboard>, 'annotations' | 'templating'> & {",
                "  annotations?: { list?: Array<Json<AnnotationQuery> & Record<string, unknown>> };",
                "  templating?: { list?: Array<Json<VariableModel> & { definition?: string }> };",
                "};",
                "export const dashboard: Checked = " + json.strip() + ";",
                "");
    }

    private static MonitoringFiles.Result tsc(Path dir, List<String> files) {
        Path root = schemaDir();
        Path tsc = root.resolve("node_modules").resolve(".bin").resolve("tsc");
        assertThat(Files.isExecutable(tsc)).as("%s: run scripts/setup.sh (npm ci of scripts/grafana-schema/) or "
                + "point -Dpgcluster.grafanaSchema at such a folder", tsc).isTrue();
        List<String> command = new ArrayList<>(List.of(tsc.toString(), "--noEmit", "--strict", "--skipLibCheck",
                "--target", "es2020", "--module", "commonjs", "--moduleResolution", "node", "--typeRoots",
                root.resolve("node_modules").resolve("@types").toString(), "--baseUrl", root.resolve("node_modules")
                        .toString()));
        command.addAll(files);
        return MonitoringFiles.run(dir, TIMEOUT, command);
    }

    static Path schemaDir() {
        String configured = System.getProperty("pgcluster.grafanaSchema");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String tools = System.getenv("PGCLUSTER_TOOLS");
        return Path.of(tools == null || tools.isBlank() ? "/opt/pgcluster" : tools).resolve("grafana-schema");
    }
}
