package io.pgcluster.testkit;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.commons.support.AnnotationSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JUnit Jupiter extension that gives tests a running {@link PatroniCluster}. Usually applied through
 * {@link PatroniClusterTest}; plain {@code @ExtendWith(PatroniClusterExtension.class)} works the same.
 *
 * <ul>
 *   <li>One cluster per distinct {@link ClusterConfig} per JVM, started on first use and kept in the root
 *       {@link ExtensionContext.Store}, which closes it when the whole test run ends (stopping every process and
 *       deleting its folder). A failed start is remembered, so later classes fail fast with the same error.
 *   <li>Resolves parameters of type {@link PatroniCluster} in constructors, lifecycle methods and test methods.
 *   <li>Before each test class: {@link PatroniCluster#restoreHealthy(Duration)} (2 minutes), so a class may
 *       switch over, kill, stop, pause and partition freely — but should leave the cluster healthy for the next
 *       test of the same class (e.g. {@code cluster.restoreHealthy(...)} in {@code @AfterEach}).
 *   <li>When a test or lifecycle method fails: prints {@link PatroniCluster#dumpLogs(int) dumpLogs(40)} to stderr.
 * </ul>
 *
 * <p>Thread-safe: concurrent test classes asking for the same configuration get the same cluster.
 *
 * <pre>{@code
 * @ExtendWith(PatroniClusterExtension.class)
 * @ClusterConfig(pgBouncer = true)
 * class PoolerIT {
 *   @BeforeAll
 *   static void warmUp(PatroniCluster cluster) { ... }
 * }
 * }</pre>
 */
public final class PatroniClusterExtension
        implements BeforeAllCallback, ParameterResolver, TestWatcher, LifecycleMethodExecutionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(PatroniClusterExtension.class);
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PatroniClusterExtension.class);
    private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(2);
    private static final int LOG_LINES = 40;

    /** Creates the extension; JUnit does this. */
    public PatroniClusterExtension() {}

    @Override
    public void beforeAll(ExtensionContext context) {
        PatroniCluster cluster = cluster(context);
        try {
            cluster.restoreHealthy(RESTORE_TIMEOUT);
        } catch (RuntimeException e) {
            printLogs(cluster, "restoring the cluster before " + context.getDisplayName() + " failed");
            throw e;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PatroniCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return cluster(extensionContext);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        existingCluster(context).ifPresent(c -> printLogs(c, context.getDisplayName() + " failed: " + cause));
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withLogs(context, "@BeforeAll of ", t);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withLogs(context, "@BeforeEach for ", t);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withLogs(context, "@AfterEach for ", t);
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        throw withLogs(context, "@AfterAll of ", t);
    }

    /** Prints the cluster's logs, if this test's cluster was started, and hands back the failure to rethrow. */
    private static Throwable withLogs(ExtensionContext context, String phase, Throwable t) {
        existingCluster(context).ifPresent(c -> printLogs(c, phase + context.getDisplayName() + " failed"));
        return t;
    }

    private static void printLogs(PatroniCluster cluster, String why) {
        System.err.println("===== pgcluster-testkit: " + why + "\n===== cluster state and server logs:");
        try {
            System.err.println("GET /cluster: " + cluster.restClusterJson());
        } catch (RuntimeException e) {
            System.err.println("GET /cluster: " + e.getMessage());
        }
        System.err.println(cluster.dumpLogs(LOG_LINES));
    }

    static ClusterSpec specFor(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            Optional<ClusterConfig> config = AnnotationSupport.findAnnotation(c, ClusterConfig.class);
            if (config.isPresent()) {
                return ClusterSpec.of(config.get());
            }
        }
        return ClusterSpec.of(Defaults.class.getAnnotation(ClusterConfig.class));
    }

    @ClusterConfig
    private static final class Defaults {}

    private static PatroniCluster cluster(ExtensionContext context) {
        ClusterSpec spec = specFor(context.getRequiredTestClass());
        SharedCluster shared = context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(spec, SharedCluster::start, SharedCluster.class);
        return shared.get();
    }

    private static Optional<PatroniCluster> existingCluster(ExtensionContext context) {
        Optional<Class<?>> testClass = context.getTestClass();
        if (testClass.isEmpty()) {
            return Optional.empty();
        }
        SharedCluster shared = context.getRoot().getStore(NAMESPACE).get(specFor(testClass.get()), SharedCluster.class);
        return shared == null ? Optional.empty() : Optional.ofNullable(shared.cluster);
    }

    /**
     * A cluster, or the failure to start it, in the root store. JUnit closes {@link AutoCloseable} store values when
     * the root context ends (JUnit 5.13+, where {@code CloseableResource} is deprecated).
     */
    static final class SharedCluster implements AutoCloseable {
        final PatroniCluster cluster;
        final RuntimeException failure;

        private SharedCluster(PatroniCluster cluster, RuntimeException failure) {
            this.cluster = cluster;
            this.failure = failure;
        }

        static SharedCluster start(ClusterSpec spec) {
            log.info("starting a shared Patroni cluster for tests: {}", spec);
            try {
                return new SharedCluster(PatroniCluster.start(spec, null), null);
            } catch (RuntimeException e) {
                return new SharedCluster(null, e);
            }
        }

        PatroniCluster get() {
            if (failure != null) {
                throw new TestkitException("The shared Patroni cluster could not be started (see the first failure for the"
                        + " server logs): " + failure.getMessage().lines().findFirst().orElse(""), failure);
            }
            return cluster;
        }

        @Override
        public void close() {
            if (cluster != null) {
                cluster.close();
            }
        }
    }
}
