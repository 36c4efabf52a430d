package io.pgcluster.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that uses a shared Patroni cluster: registers {@link PatroniClusterExtension}, which injects a
 * {@link PatroniCluster} into constructors, {@code @BeforeAll}/{@code @BeforeEach} methods and test methods, restores
 * the cluster to health before the class, and prints the servers' log tails when a test fails. Combine with
 * {@link ClusterConfig} to choose the cluster.
 *
 * <pre>{@code
 * @PatroniClusterTest
 * class ReadYourWritesIT {
 *   @Test
 *   void readsFromReplica(PatroniCluster cluster) throws SQLException {
 *     try (Connection c = DriverManager.getConnection(cluster.jdbcUrl("127.0.0.1", cluster.leader().pgPort()),
 *         cluster.user(), cluster.password())) { ... }
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safety: an annotation; the cluster it provides is shared by test classes of the same configuration, which JUnit runs one at a time here.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(PatroniClusterExtension.class)
public @interface PatroniClusterTest {}
