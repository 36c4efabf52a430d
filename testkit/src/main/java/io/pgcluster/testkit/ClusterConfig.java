package io.pgcluster.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The cluster a test class wants from {@link PatroniClusterExtension}. Test classes with equal settings share one
 * cluster per JVM; a class without this annotation gets the defaults (3 nodes, nothing else). Put it on the test
 * class (or an enclosing class of a {@code @Nested} class) next to {@link PatroniClusterTest}.
 *
 * <pre>{@code
 * @PatroniClusterTest
 * @ClusterConfig(haProxy = true, pgBouncer = true, faultProxies = true)
 * class FailoverIT {
 *   @Test
 *   void survivesSwitchover(PatroniCluster cluster) { ... }
 * }
 * }</pre>
 *
 * <p>Thread-safety: an annotation, read once by {@link PatroniClusterExtension} when a test class starts.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ClusterConfig {
    /**
     * Number of Patroni nodes.
     *
     * @return 1..9, default 3
     */
    int nodes() default 3;

    /**
     * Patroni scope.
     *
     * @return the scope, default {@code pgcluster-test}
     */
    String scope() default PatroniCluster.DEFAULT_SCOPE;

    /**
     * Leader key TTL in seconds.
     *
     * @return default 10
     */
    int ttl() default 10;

    /**
     * Patroni's loop_wait in seconds.
     *
     * @return default 2
     */
    int loopWait() default 2;

    /**
     * Patroni's retry_timeout in seconds.
     *
     * @return default 4
     */
    int retryTimeout() default 4;

    /**
     * Whether to start HAProxy.
     *
     * @return default false
     */
    boolean haProxy() default false;

    /**
     * HAProxy check timing.
     *
     * @return default {@link HaProxyChecks#TIGHT}
     */
    HaProxyChecks haProxyChecks() default HaProxyChecks.TIGHT;

    /**
     * Whether to start the PgBouncer pair (implies HAProxy).
     *
     * @return default false
     */
    boolean pgBouncer() default false;

    /**
     * Whether to start a PgBouncer next to each node, published as the member's {@code proxy_url} (see
     * {@link PatroniClusterBuilder#poolerPerNode()}).
     *
     * @return default false
     */
    boolean poolerPerNode() default false;

    /**
     * Whether to put fault proxies in front of every node and etcd.
     *
     * @return default false
     */
    boolean faultProxies() default false;

    /**
     * Whether to bootstrap with Patroni's synchronous_mode.
     *
     * @return default false
     */
    boolean synchronousMode() default false;

    /**
     * Patroni's DCS.
     *
     * @return default {@link Dcs#ETCD}
     */
    Dcs dcs() default Dcs.ETCD;

    /**
     * Whether etcd serves TLS only, with client certificates required (see {@code EtcdServer#caFile()}).
     *
     * @return default false
     */
    boolean etcdTls() default false;

    /**
     * Whether etcd's authentication is enabled, with users for Patroni and for clients (see
     * {@code EtcdServer#clientUser()}).
     *
     * @return default false
     */
    boolean etcdAuth() default false;

    /**
     * Whether Consul (with {@code dcs = Dcs.CONSUL}) enforces ACLs (default deny; tokens in {@code ConsulServer}).
     *
     * @return default false
     */
    boolean consulAcl() default false;

    /**
     * Whether Consul (with {@code dcs = Dcs.CONSUL}) serves https only ({@code ConsulServer#caFile()}).
     *
     * @return default false
     */
    boolean consulTls() default false;

    /**
     * Patroni's major version, 3 or 4; 0 takes {@code -Dpgcluster.testkit.patroniVersion} /
     * {@code PGCLUSTER_PATRONI_VERSION}, else 3.
     *
     * @return default 0
     */
    int patroniVersion() default 0;

    /**
     * Whether PostgreSQL runs with {@code ssl=on}, each node with a certificate for 127.0.0.1 and localhost from a
     * throw-away CA ({@link PatroniCluster#postgresCaFile()}).
     *
     * @return default false
     */
    boolean postgresTls() default false;

    /**
     * Whether Patroni's REST API serves https (certificates of a CA made for the cluster; {@link
     * PatroniCluster#restCaFile()}); the rig's own REST calls and HAProxy's checks follow.
     *
     * @return default false
     */
    boolean restTls() default false;

    /**
     * Whether the REST API wants a client certificate on every request ({@code verify_client: required}; needs
     * {@link #restTls()}); {@link PatroniCluster#restClientCertificate()} is one.
     *
     * @return default false
     */
    boolean restVerifyClient() default false;

    /**
     * Whether the REST API has basic auth ({@code restapi.authentication}, user {@code patroni}, a generated password:
     * {@link PatroniCluster#restUser()}, {@link PatroniCluster#restPassword()}).
     *
     * @return default false
     */
    boolean restAuth() default false;
}
