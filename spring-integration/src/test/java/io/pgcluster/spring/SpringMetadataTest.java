package io.pgcluster.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.config.PgClusterProperty;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Spring Boot's configuration metadata (what IDEs complete and describe under {@code pgcluster.*}) is generated from
 * the driver's property catalog; this test keeps the shipped file in step. Regenerate with
 * {@code mvn -pl spring-integration test -Dtest=SpringMetadataTest -Dpgcluster.regenerateMetadata=true}.
 */
class SpringMetadataTest {
    private static final Path FILE = Path.of("src/main/resources/META-INF/spring-configuration-metadata.json");

    @Test
    void metadataMatchesTheCatalog() throws IOException {
        String expected = render();
        if (Boolean.getBoolean("pgcluster.regenerateMetadata")) {
            Files.writeString(FILE, expected, StandardCharsets.UTF_8);
        }
        String actual = Files.exists(FILE) ? Files.readString(FILE, StandardCharsets.UTF_8) : "";
        assertThat(actual).as("%s is out of date with the catalog; regenerate it with mvn -pl spring-integration test "
                + "-Dtest=SpringMetadataTest -Dpgcluster.regenerateMetadata=true", FILE).isEqualTo(expected);
    }

    @Test
    void everyCatalogKeyRoundTripsThroughItsSpringName() {
        for (PgClusterProperty p : PgClusterProperty.values()) {
            String relaxed = PgClusterSettings.springName(p).substring("pgcluster.".length());
            assertThat(PgClusterSettings.canonicalKey(relaxed)).isEqualTo(p.key());
            assertThat(PgClusterSettings.canonicalKey(p.key().toUpperCase())).isEqualTo(p.key());
        }
        assertThat(PgClusterSettings.canonicalKey("application-name")).isEqualTo("ApplicationName");
        assertThat(PgClusterSettings.canonicalKey("nonsense-key")).isEqualTo("nonsense-key");
    }

    static String render() {
        StringBuilder s = new StringBuilder();
        s.append("{\n  \"groups\": [\n    {\n      \"name\": \"pgcluster\",\n")
                .append("      \"description\": \"pgcluster: a cluster-aware DataSource for Patroni-run PostgreSQL. ")
                .append("Settings here win over the same parameter in spring.datasource.url.\"\n    }\n  ],\n");
        s.append("  \"properties\": [\n");
        PgClusterProperty[] all = PgClusterProperty.values();
        for (int i = 0; i < all.length; i++) {
            PgClusterProperty p = all[i];
            s.append("    {\n");
            s.append("      \"name\": \"").append(PgClusterSettings.springName(p)).append("\",\n");
            s.append("      \"type\": \"java.lang.String\",\n");
            String description = p.description() + (p.rangeDescription().isEmpty() ? ""
                    : " Range: " + p.rangeDescription() + ".");
            s.append("      \"description\": \"").append(json(description)).append('"');
            if (p.defaultValue() != null) {
                s.append(",\n      \"defaultValue\": \"").append(json(p.defaultValue())).append('"');
            }
            s.append("\n    }").append(i < all.length - 1 ? ",\n" : "\n");
        }
        s.append("  ],\n  \"hints\": [\n");
        boolean first = true;
        for (PgClusterProperty p : all) {
            if (p.choices().isEmpty()) {
                continue;
            }
            s.append(first ? "" : ",\n");
            first = false;
            s.append("    {\n      \"name\": \"").append(PgClusterSettings.springName(p)).append("\",\n")
                    .append("      \"values\": [\n");
            for (int i = 0; i < p.choices().size(); i++) {
                s.append("        { \"value\": \"").append(p.choices().get(i)).append("\" }")
                        .append(i < p.choices().size() - 1 ? ",\n" : "\n");
            }
            s.append("      ]\n    }");
        }
        s.append("\n  ]\n}\n");
        return s.toString();
    }

    private static String json(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
