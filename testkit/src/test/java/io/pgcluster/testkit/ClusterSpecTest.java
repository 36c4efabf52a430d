package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ClusterSpecTest {
    @Test
    void builderDefaultsEqualAnnotationDefaults() {
        ClusterSpec fromBuilder = PatroniCluster.builder().spec();
        ClusterSpec fromAnnotation = PatroniClusterExtension.specFor(ClusterSpecTest.class);
        assertThat(fromBuilder).isEqualTo(fromAnnotation).hasSameHashCodeAs(fromAnnotation);
        assertThat(fromBuilder.nodes).isEqualTo(3);
        assertThat(fromBuilder.scope).isEqualTo("pgcluster-test");
        assertThat(fromBuilder.namespace).isEqualTo("/service");
        assertThat(fromBuilder.ttl).isEqualTo(10);
        assertThat(fromBuilder.loopWait).isEqualTo(2);
        assertThat(fromBuilder.retryTimeout).isEqualTo(4);
        assertThat(fromBuilder.haProxy).isFalse();
        assertThat(fromBuilder.pgBouncer).isFalse();
        assertThat(fromBuilder.faultProxies).isFalse();
        assertThat(fromBuilder.haProxyChecks).isEqualTo(HaProxyChecks.TIGHT);
        assertThat(fromBuilder.dcs).isEqualTo(Dcs.ETCD);
    }

    @ClusterConfig(dcs = Dcs.ZOOKEEPER)
    static class OnZooKeeper {}

    @Test
    void theDcsIsPartOfTheSpec() {
        ClusterSpec zk = PatroniClusterExtension.specFor(OnZooKeeper.class);
        assertThat(zk.dcs).isEqualTo(Dcs.ZOOKEEPER);
        assertThat(zk).isEqualTo(PatroniCluster.builder().dcs(Dcs.ZOOKEEPER).spec())
                .isNotEqualTo(PatroniCluster.builder().spec());
        assertThat(zk.toString()).contains("ZooKeeper");
    }

    @ClusterConfig(dcs = Dcs.CONSUL, consulAcl = true, consulTls = true, patroniVersion = 4)
    static class OnConsulWithPatroni4 {}

    @Test
    void consulAndThePatroniVersionArePartOfTheSpec() {
        ClusterSpec consul = PatroniClusterExtension.specFor(OnConsulWithPatroni4.class);
        assertThat(consul.dcs).isEqualTo(Dcs.CONSUL);
        assertThat(consul.patroniVersion).isEqualTo(4);
        assertThat(consul).isEqualTo(PatroniCluster.builder().dcs(Dcs.CONSUL).consulAcl(true).consulTls(true)
                        .patroniVersion(4).spec())
                .isNotEqualTo(PatroniCluster.builder().dcs(Dcs.CONSUL).consulAcl(true).consulTls(true)
                        .patroniVersion(3).spec())
                .isNotEqualTo(PatroniCluster.builder().dcs(Dcs.CONSUL).patroniVersion(4).spec());
        assertThat(consul.toString()).contains("Patroni 4", "Consul (TLS) (ACLs)");
        assertThatThrownBy(() -> PatroniCluster.builder().consulAcl(true).spec())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("consulAcl")
                .hasMessageContaining("CONSUL");
        assertThatThrownBy(() -> PatroniCluster.builder().patroniVersion(5).spec())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("patroniVersion")
                .hasMessageContaining("5");
    }

    @Test
    void thePatroniVersionDefaultsToTheSetting() {
        String old = System.getProperty(Setting.PATRONI_VERSION.property());
        try {
            System.setProperty(Setting.PATRONI_VERSION.property(), "4");
            assertThat(PatroniCluster.builder().spec().patroniVersion).isEqualTo(4);
            assertThat(PatroniCluster.builder().patroniVersion(3).spec().patroniVersion).as("explicit wins")
                    .isEqualTo(3);
            System.setProperty(Setting.PATRONI_VERSION.property(), "4.0");
            assertThatThrownBy(() -> PatroniCluster.builder().spec()).isInstanceOf(TestkitException.class)
                    .hasMessageContaining("-Dpgcluster.testkit.patroniVersion")
                    .hasMessageContaining("PGCLUSTER_PATRONI_VERSION").hasMessageContaining("'4.0'");
        } finally {
            if (old == null) {
                System.clearProperty(Setting.PATRONI_VERSION.property());
            } else {
                System.setProperty(Setting.PATRONI_VERSION.property(), old);
            }
        }
    }

    @ClusterConfig(pgBouncer = true, faultProxies = true)
    static class Full {
        @Nested
        class Inner {}
    }

    @Test
    void annotationSelectsTheClusterAndNestedClassesInheritIt() {
        ClusterSpec full = PatroniClusterExtension.specFor(Full.class);
        assertThat(full.pgBouncer).isTrue();
        assertThat(full.haProxy).as("PgBouncer implies HAProxy").isTrue();
        assertThat(full).isEqualTo(PatroniClusterExtension.specFor(Full.Inner.class))
                .isEqualTo(PatroniCluster.builder().withPgBouncer(true).withHaProxy(true).withFaultProxies(true).spec())
                .isNotEqualTo(PatroniCluster.builder().spec());
    }

    @ClusterConfig(restTls = true, restVerifyClient = true, restAuth = true)
    static class SecureRest {}

    @Test
    void restSecurityIsPartOfTheSpec() {
        ClusterSpec secure = PatroniClusterExtension.specFor(SecureRest.class);
        assertThat(secure.rest).isEqualTo(new RestSecurity(true, true, "patroni", null));
        assertThat(secure).isEqualTo(PatroniCluster.builder().restTls(true).restVerifyClient(true)
                .restAuth("patroni", null).spec()).isNotEqualTo(PatroniCluster.builder().spec());
        assertThat(secure.toString()).contains("REST API https with client certificates, basic auth");
        assertThat(PatroniCluster.builder().restAuth("u", "pw-123").spec().toString()).doesNotContain("pw-123");
        assertThatThrownBy(() -> PatroniCluster.builder().restVerifyClient(true).spec())
                .hasMessageContaining("restVerifyClient needs restTls");
    }

    @Test
    void rejectsBadSettingsNamingThem() {
        assertThatThrownBy(() -> PatroniCluster.builder().nodes(0).spec()).hasMessageContaining("nodes must be 1..9");
        assertThatThrownBy(() -> PatroniCluster.builder().timing(5, 2, 4).spec())
                .hasMessageContaining("ttl (5) must be >= loop_wait + 2 * retry_timeout (2 + 2 * 4 = 10)");
        assertThatThrownBy(() -> PatroniCluster.builder().namespace("service").spec()).hasMessageContaining("namespace");
        assertThatThrownBy(() -> PatroniCluster.builder().scope("a b").spec()).hasMessageContaining("scope");
        assertThat(PatroniCluster.builder().timing(5, 1, 2).spec().ttl).isEqualTo(5);
    }
}
