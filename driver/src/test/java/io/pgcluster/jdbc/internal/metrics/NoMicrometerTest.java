package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.micrometer.PgClusterMeterBinder;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional: the driver, loaded by a class loader that cannot see Micrometer, creates, uses and
 * closes a data source with metrics attached, and only {@link PgClusterMeterBinder} needs Micrometer.
 */
class NoMicrometerTest {

    @Test
    void theDriverRunsWithoutMicrometer() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("micrometer") && !entry.contains("prometheus") && !entry.contains("HdrHistogram")
                    && !entry.contains("LatencyUtils")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        assertThat(urls).as("the driver's classes are on the class path")
                .anyMatch(u -> u.getPath().endsWith("driver/target/classes/"));
        // parent: the platform loader, so that nothing comes from the test's own class path
        try (URLClassLoader isolated = new URLClassLoader(urls.toArray(new URL[0]),
                ClassLoader.getPlatformClassLoader())) {
            Class<?> probe = isolated.loadClass(NoMicrometerProbe.class.getName());
            assertThat(probe).isNotSameAs(NoMicrometerProbe.class);
            @SuppressWarnings("unchecked")
            Callable<String> run = (Callable<String>) probe.getDeclaredConstructor().newInstance();
            assertThat(run.call()).isEqualTo("binder needs Micrometer, closed, leader write, read 08001, "
                    + "unavailable, write 08001");
        }
    }
}
