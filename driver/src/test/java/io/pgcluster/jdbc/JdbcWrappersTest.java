package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps the generated JDBC wrapper bases under src/generated/java in step with {@link JdbcWrapperGenerator} (and
 * with the JDK's {@code java.sql} interfaces): fails when a checked-in file differs from what the generator writes;
 * {@code -Dpgcluster.regenerateWrappers=true} rewrites them.
 */
class JdbcWrappersTest {

    @Test
    void generatedWrappersAreCurrent() throws IOException {
        Path dir = generatedDir().resolve(JdbcWrapperGenerator.PACKAGE_DIR);
        Map<String, String> expected = JdbcWrapperGenerator.generate();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path file = dir.resolve(e.getKey());
            if (Boolean.getBoolean("pgcluster.regenerateWrappers")) {
                Files.createDirectories(dir);
                Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
                continue;
            }
            assertThat(Files.readString(file, StandardCharsets.UTF_8))
                    .as(file + " is stale; regenerate with -Dtest=JdbcWrappersTest -Dpgcluster.regenerateWrappers=true")
                    .isEqualTo(e.getValue());
        }
    }

    private static Path generatedDir() {
        Path here = Path.of("").toAbsolutePath();
        Path inModule = here.resolve("src/generated/java");
        return Files.isDirectory(inModule) ? inModule : here.resolve("driver/src/generated/java");
    }
}
