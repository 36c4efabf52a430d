package io.pgcluster.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The cluster shared by the testkit's ITs: 3 nodes with HAProxy, PgBouncer and fault proxies. A composed annotation
 * (both annotations work as meta-annotations), so every class asks for exactly the same cluster.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@PatroniClusterTest
@ClusterConfig(haProxy = true, pgBouncer = true, faultProxies = true)
@interface FullRig {}
