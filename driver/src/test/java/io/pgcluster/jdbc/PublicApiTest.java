package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The driver's public API is exactly the list in docs/architecture.md ("The public API"): every public top-level
 * type outside {@code io.pgcluster.jdbc.internal} is named there with why it is public, and nothing more. A type
 * made public by accident (or a new one added on purpose without saying why) fails here.
 */
class PublicApiTest {
    private static final Pattern DOC_ROW = Pattern.compile("^\\| `(io\\.pgcluster\\.jdbc[\\w.]*\\.[A-Z]\\w*)` \\|",
            Pattern.MULTILINE);
    private static final int MOST = 15;

    @Test
    void publicTypesAreTheDocumentedApi() throws Exception {
        Set<String> documented = documented();
        assertThat(documented).as("the API table in docs/architecture.md").isNotEmpty().hasSizeLessThanOrEqualTo(MOST);
        assertThat(publicTypes()).as("public top-level types outside io.pgcluster.jdbc.internal")
                .containsExactlyInAnyOrderElementsOf(documented);
    }

    static Set<String> documented() throws IOException {
        Path doc = Path.of("..", "docs", "architecture.md");
        Matcher m = DOC_ROW.matcher(Files.readString(doc));
        Set<String> out = new TreeSet<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static Set<String> publicTypes() throws Exception {
        Path classes = Path.of(PgClusterDataSource.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String rel = classes.relativize(f).toString().replace('/', '.');
                if (!rel.endsWith(".class") || rel.contains("$") || rel.endsWith("package-info.class")
                        || rel.startsWith("io.pgcluster.jdbc.internal.")) {
                    continue;
                }
                String name = rel.substring(0, rel.length() - ".class".length());
                Class<?> c = Class.forName(name, false, PublicApiTest.class.getClassLoader());
                if (Modifier.isPublic(c.getModifiers())) {
                    out.add(name);
                }
            }
        }
        return out;
    }
}
