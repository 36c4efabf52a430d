package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.testkit.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.postgresql.PGProperty;

/**
 * Keeps docs/configuration.md in step with the catalog: its property reference and its list of pgjdbc properties
 * that pgcluster manages are generated here, between markers, and every example URL in it must parse.
 *
 * <p>After changing {@link PgClusterProperty}, regenerate the blocks with
 * {@value #REGENERATE_COMMAND}.
 */
class ConfigurationDocTest {
    static final String REGENERATE_COMMAND = "mvn -B -o -q test -pl driver -am -Denforcer.skip "
            + "-Dtest=ConfigurationDocTest -Dsurefire.failIfNoSpecifiedTests=false -Dpgcluster.regenerateDocs=true";
    private static final String PROPERTIES = "PROPERTIES";
    private static final String MANAGED = "MANAGED PGJDBC PROPERTIES";
    private static final Pattern EXAMPLE_URL = Pattern.compile("jdbc:pgcluster:[a-z]+://[^\\s`'\"<>]+");

    @Test
    void generatedBlocksAreCurrent() throws IOException {
        Path doc = docFile();
        String text = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "";
        if (Boolean.getBoolean("pgcluster.regenerateDocs")) {
            String updated = replaceBlock(replaceBlock(text, PROPERTIES, renderProperties()), MANAGED,
                    renderManaged());
            if (!updated.equals(text)) {
                Files.writeString(doc, updated, StandardCharsets.UTF_8);
            }
            return;
        }
        String hint = doc + " is out of date with PgClusterProperty; regenerate its generated blocks with: "
                + REGENERATE_COMMAND;
        assertThat(block(text, PROPERTIES)).as(hint).isEqualTo(renderProperties());
        assertThat(block(text, MANAGED)).as(hint).isEqualTo(renderManaged());
    }

    @Test
    void everyUrlFormIsDocumentedAndEveryExampleParses() throws IOException {
        String text = Files.readString(docFile(), StandardCharsets.UTF_8);
        for (PgClusterConfig.Source s : PgClusterConfig.Source.values()) {
            assertThat(text).contains("jdbc:pgcluster:" + s.key() + "://");
        }
        List<String> examples = new ArrayList<>();
        Matcher m = EXAMPLE_URL.matcher(text);
        while (m.find()) {
            String url = m.group();
            if (!url.matches(".*(HOST|DATABASE|SCOPE|\\.\\.\\.).*")) { // skip the forms with placeholders
                examples.add(url);
            }
        }
        assertThat(examples).hasSizeGreaterThanOrEqualTo(4);
        Properties info = new Properties();
        info.setProperty("password", "example");
        for (String url : examples) {
            assertThat(PgClusterUrl.parse(url, info).build()).as(url).isNotNull();
        }
    }

    /** The property reference: one table per group, in catalog order. */
    static String renderProperties() {
        StringBuilder out = new StringBuilder();
        for (PgClusterProperty.Group g : PgClusterProperty.Group.values()) {
            out.append("\n### ").append(title(g)).append("\n\n");
            out.append("| Key | Type | Default | Allowed values | Description |\n");
            out.append("| --- | --- | --- | --- | --- |\n");
            for (PgClusterProperty p : PgClusterProperty.values()) {
                if (p.group() != g) {
                    continue;
                }
                out.append("| `").append(p.key()).append("` | ").append(typeName(p.type())).append(" | ")
                        .append(p.defaultValue() == null ? "&mdash;" : "`" + p.defaultValue() + "`").append(" | ")
                        .append(allowed(p)).append(" | ").append(escape(p.description())).append(" |\n");
            }
        }
        return out.append('\n').toString();
    }

    /** The pgjdbc properties that choose the server, which pgcluster sets per member and users may not. */
    static String renderManaged() {
        StringBuilder out = new StringBuilder("\n| pgjdbc property | Use instead |\n| --- | --- |\n");
        List<String> managed = Arrays.stream(PGProperty.values()).map(PGProperty::getName)
                .filter(PgjdbcProperties::isManaged).sorted(Comparator.comparing(k -> k.toLowerCase(Locale.ROOT)))
                .collect(Collectors.toList());
        for (String k : managed) {
            out.append("| `").append(k).append("` | ").append(escape(PgjdbcProperties.managedAlternative(k)))
                    .append(" |\n");
        }
        return out.append('\n').toString();
    }

    private static String title(PgClusterProperty.Group g) {
        String n = g.name().toLowerCase(Locale.ROOT);
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    private static String typeName(PgClusterProperty.Type t) {
        switch (t) {
            case STRING:
                return "text";
            case SECRET:
                return "secret";
            case INT:
                return "integer";
            case DURATION:
                return "duration";
            case BYTES:
                return "size";
            case CHOICE:
                return "choice";
            case ADDRESSES:
                return "addresses";
            case BOOLEAN:
                return "true/false";
            default:
                throw new AssertionError(t);
        }
    }

    private static String allowed(PgClusterProperty p) {
        if (!p.choices().isEmpty()) {
            return p.choices().stream().map(c -> "`" + c + "`").collect(Collectors.joining(", "));
        }
        if (p.type() == PgClusterProperty.Type.ADDRESSES) {
            return "`HOST:PORT[,HOST:PORT...]`";
        }
        return p.rangeDescription().isEmpty() ? "&mdash;" : escape(p.rangeDescription());
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|");
    }

    private static String begin(String name) {
        return "<!-- BEGIN GENERATED " + name + " (ConfigurationDocTest; do not edit by hand) -->";
    }

    private static String end(String name) {
        return "<!-- END GENERATED " + name + " -->";
    }

    /** The text between the markers of block {@code name}, or a note that they are missing. */
    private static String block(String text, String name) {
        int b = text.indexOf(begin(name));
        int e = text.indexOf(end(name));
        if (b < 0 || e < b) {
            return "(markers " + begin(name) + " ... " + end(name) + " not found)";
        }
        return text.substring(b + begin(name).length(), e);
    }

    /** {@code text} with block {@code name} replaced by {@code content}, or appended when it has none. */
    private static String replaceBlock(String text, String name, String content) {
        int b = text.indexOf(begin(name));
        int e = text.indexOf(end(name));
        if (b < 0 || e < b) {
            return text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "\n" + begin(name) + content
                    + end(name) + "\n";
        }
        return text.substring(0, b + begin(name).length()) + content + text.substring(e);
    }

    /** docs/configuration.md of the repository. */
    static Path docFile() {
        return Repository.root().resolve("docs").resolve("configuration.md");
    }
}
