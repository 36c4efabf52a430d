package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PgClusterConfigTest {

    private static PgClusterConfig.Builder etcd() {
        return PgClusterConfig.builder().etcd("10.0.0.1:2379,10.0.0.2").scope("orders").database("orders")
                .user("app").password("s3cret-pw");
    }

    @Test
    void defaultsComeFromTheCatalog() {
        PgClusterConfig c = etcd().build();
        assertThat(c.source()).isEqualTo(PgClusterConfig.Source.ETCD);
        assertThat(c.servers()).containsExactly(new HostAndPort("10.0.0.1", 2379), new HostAndPort("10.0.0.2", 2379));
        assertThat(c.namespace()).isEqualTo("/service");
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.maxReplicaLag()).isEqualTo(16L << 20);
        assertThat(c.loadBalance()).isEqualTo(PgClusterConfig.LoadBalance.ROUND_ROBIN);
        assertThat(c.readFallback()).isEqualTo(PgClusterConfig.ReadFallback.LEADER);
        assertThat(c.writePoolSize()).isEqualTo(10);
        assertThat(c.name()).isEqualTo("orders");
        for (PgClusterProperty p : PgClusterProperty.values()) {
            if (p.defaultValue() != null) {
                assertThat(c.value(p)).as(p.key()).isEqualTo(p.parse(p.defaultValue()));
            }
        }
    }

    @Test
    void valuesAreParsedWithUnits() {
        PgClusterConfig c = etcd().set("failoverTimeout", "1500ms").set("maxReplicaLag", "512kB")
                .set("loadBalance", "LEASTCONNECTIONS").set("readFallback", "fail").set("connectionTimeout", "PT2S")
                .set("pollInterval", "250").build();
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.maxReplicaLag()).isEqualTo(512 * 1024);
        assertThat(c.loadBalance()).isEqualTo(PgClusterConfig.LoadBalance.LEAST_CONNECTIONS);
        assertThat(c.readFallback()).isEqualTo(PgClusterConfig.ReadFallback.FAIL);
        assertThat(c.connectionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void badValuesNameTheSettingAndWhatWouldBeRight() {
        assertThatThrownBy(() -> etcd().set("failoverTimeout", "30x"))
                .isInstanceOf(PgClusterConfigException.class)
                .hasMessageContaining("'30x'").hasMessageContaining("failoverTimeout")
                .hasMessageContaining("500ms, 30s");
        assertThatThrownBy(() -> etcd().set("writePoolSize", "-3"))
                .hasMessageContaining("writePoolSize").hasMessageContaining("1 to 10000");
        assertThatThrownBy(() -> etcd().set("writePoolSize", "ten")).hasMessageContaining("whole number");
        assertThatThrownBy(() -> etcd().set("connectionTimeout", "10ms")).hasMessageContaining("250ms to 10m");
        assertThatThrownBy(() -> etcd().set("loadBalance", "fastest"))
                .hasMessageContaining("roundRobin, random, leastConnections");
        assertThatThrownBy(() -> etcd().set("maxReplicaLag", "12 parsecs")).hasMessageContaining("16MB");
        PgClusterConfigException e = org.junit.jupiter.api.Assertions.assertThrows(PgClusterConfigException.class,
                () -> etcd().set("readPoolSize", "0"));
        assertThat(e.property()).isEqualTo(PgClusterProperty.READ_POOL_SIZE);
        assertThat(e.key()).isEqualTo("readPoolSize");
    }

    @Test
    void typedSettersKeepTheirValuesAndAreCheckedAsTextWouldBe() {
        PgClusterConfig c = etcd().failoverTimeout(Duration.ofMillis(1500)).writePoolSize(3).readPoolSize(4)
                .maxReplicaLag(512 << 10).loadBalance(PgClusterConfig.LoadBalance.RANDOM)
                .readFallback(PgClusterConfig.ReadFallback.FAIL).build();
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.writePoolSize()).isEqualTo(3);
        assertThat(c.readPoolSize()).isEqualTo(4);
        assertThat(c.maxReplicaLag()).isEqualTo(512 << 10);
        assertThat(c.loadBalance()).isEqualTo(PgClusterConfig.LoadBalance.RANDOM);
        assertThat(c.readFallback()).isEqualTo(PgClusterConfig.ReadFallback.FAIL);
        assertThat(c.describe()).containsEntry("source", "etcd").containsEntry("failoverTimeout", "1500ms")
                .containsEntry("maxReplicaLag", "512kB").containsEntry("loadBalance", "random")
                .containsEntry("readFallback", "fail");
        assertThat(c).usingRecursiveComparison().isEqualTo(etcd().set("failoverTimeout", "1500ms")
                .set("writePoolSize", "3").set("readPoolSize", "4").set("maxReplicaLag", "512kB")
                .set("loadBalance", "random").set("readFallback", "fail").build());
        assertThatThrownBy(() -> etcd().writePoolSize(0)).isInstanceOf(PgClusterConfigException.class)
                .hasMessageContaining("'writePoolSize'").hasMessageContaining("'0'").hasMessageContaining("1 to 10000");
        assertThatThrownBy(() -> etcd().failoverTimeout(Duration.ofHours(2))).hasMessageContaining("'failoverTimeout'")
                .hasMessageContaining("'2h'").hasMessageContaining("0 to 1h");
        assertThatThrownBy(() -> etcd().failoverTimeout(Duration.ofMillis(-5))).hasMessageContaining("'-5ms'");
        assertThatThrownBy(() -> etcd().maxReplicaLag(-1)).hasMessageContaining("'maxReplicaLag'")
                .hasMessageContaining("at least 0 bytes");
        assertThatThrownBy(() -> etcd().loadBalance(null)).hasMessageContaining("'loadBalance'")
                .hasMessageContaining("a value is required");
    }

    @Test
    void addressesAreChecked() {
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("host:99999"))
                .hasMessageContaining("port '99999'").hasMessageContaining("1 to 65535");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("a:1,,b:2")).hasMessageContaining("empty address");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("a b:1")).hasMessageContaining("no valid host");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("::1:2379")).hasMessageContaining("[::1]:5432");
        PgClusterConfig c = PgClusterConfig.builder().hosts("[::1]:5433,db2").database("d").build();
        assertThat(c.servers()).containsExactly(new HostAndPort("::1", 5433), new HostAndPort("db2", 5432));
        assertThat(c.servers().get(0).toString()).isEqualTo("[::1]:5433");
    }

    @Test
    void missingAndInconsistentSettingsFailAtBuild() {
        assertThatThrownBy(() -> PgClusterConfig.builder().database("d").build())
                .hasMessageContaining("'source' is required").hasMessageContaining("etcd, zookeeper, patroni, hosts or endpoints");
        assertThatThrownBy(() -> PgClusterConfig.builder().set("source", "etcd").database("d").scope("s").build())
                .hasMessageContaining("'servers' is required").hasMessageContaining("etcd endpoints");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("e:2379").scope("s").build())
                .hasMessageContaining("'database' is required");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("e:2379").database("d").build())
                .hasMessageContaining("'scope' is required").hasMessageContaining("Patroni");
        assertThatThrownBy(() -> PgClusterConfig.builder().set("source", "endpoints").set("servers", "w:5432")
                .database("d").build()).hasMessageContaining("'read' is required");
        assertThatThrownBy(() -> etcd().set("read", "r:5433").build())
                .hasMessageContaining("only to source endpoints");
        assertThatThrownBy(() -> PgClusterConfig.builder().endpoints("w:1,w2:1", "r:2").database("d").build())
                .hasMessageContaining("exactly one write address");
        assertThatThrownBy(() -> etcd().set("minIdle", "20").build())
                .hasMessageContaining("'minIdle' (20) is larger than the smaller pool size (10)");
        assertThatThrownBy(() -> etcd().set("retryInitialBackoff", "5s").build())
                .hasMessageContaining("'retryInitialBackoff' (5s) is longer than 'retryMaxBackoff' (2s)");
        assertThatThrownBy(() -> etcd().namespace("service").build()).hasMessageContaining("starting with '/'");
        assertThatThrownBy(() -> etcd().scope("a/b").build()).hasMessageContaining("without '/'");
        assertThatThrownBy(() -> PgClusterConfig.builder().zookeeper("z:2181").database("d").build())
                .hasMessageContaining("source zookeeper reads Patroni's keys under <namespace>/<scope>/");
        assertThatThrownBy(() -> PgClusterConfig.builder().hosts("h:5432").database("d")
                .set("dcsPassword", "x").build())
                .hasMessageContaining("'dcsPassword' applies only to sources etcd, zookeeper, consul and patroni");
        assertThatThrownBy(() -> PgClusterConfig.builder().zookeeper("z:2181,").scope("s").database("d").build())
                .isInstanceOf(PgClusterConfigException.class);
        assertThatThrownBy(() -> PgClusterConfig.builder().set("source", "mysql"))
                .hasMessageContaining("expected one of etcd, zookeeper, consul, patroni, hosts, endpoints");
        assertThatThrownBy(() -> PgClusterConfig.builder().consul("c").database("d").build())
                .hasMessageContaining("source consul reads Patroni's keys under <namespace>/<scope>/");
    }

    @Test
    void consulTakesAnAclTokenThatIsASecretAndTravelsOnlyOverTls() {
        PgClusterConfig c = PgClusterConfig.builder().consul("c1,c2:8501").scope("orders").database("orders")
                .set("dcsToken", "consul-tok3n").set("dcsTls", "true").set("dcsCaFile", "/etc/ca.pem").build();
        assertThat(c.source()).isEqualTo(PgClusterConfig.Source.CONSUL);
        assertThat(c.servers()).extracting(Object::toString).containsExactly("c1:8500", "c2:8501");
        assertThat(c.dcsToken()).isEqualTo("consul-tok3n");
        assertThat(c.toString()).doesNotContain("consul-tok3n").contains("dcsToken=****");
        assertThatThrownBy(() -> PgClusterConfig.builder().consul("c").scope("s").database("d")
                .set("dcsToken", "consul-tok3n").build())
                .hasMessageContaining("'dcsToken' would travel in clear").hasMessageContaining("dcsPlaintextCredentials")
                .hasMessageNotContaining("consul-tok3n");
        assertThat(PgClusterConfig.builder().consul("c").scope("s").database("d").set("dcsToken", "t")
                .set("dcsPlaintextCredentials", "true").build().dcsToken()).isEqualTo("t");
        assertThatThrownBy(() -> PgClusterConfig.builder().consul("c").scope("s").database("d").set("dcsTls", "true")
                .set("dcsUser", "u").set("dcsPassword", "p").build())
                .hasMessageContaining("'dcsUser' does not apply to source consul").hasMessageContaining("dcsToken");
        assertThatThrownBy(() -> etcd().set("dcsToken", "consul-tok3n").build())
                .hasMessageContaining("'dcsToken' is Consul's ACL token and applies only to source consul")
                .hasMessageNotContaining("consul-tok3n");
    }

    @Test
    void sourceCredentialsTravelOnlyOverTlsUnlessAskedTo() {
        assertThatThrownBy(() -> etcd().set("dcsUser", "root").set("dcsPassword", "etcd-pw").build())
                .isInstanceOf(PgClusterConfigException.class).hasMessageContaining("'dcsPassword' would travel in clear")
                .hasMessageContaining("dcsPlaintextCredentials=true").hasMessageNotContaining("etcd-pw");
        assertThat(etcd().set("dcsUser", "root").set("dcsPassword", "etcd-pw").set("dcsPlaintextCredentials", "true")
                .build().dcsPlaintextCredentials()).isTrue();
        PgClusterConfig tls = etcd().set("dcsUser", "root").set("dcsPassword", "etcd-pw").set("dcsTls", "TRUE")
                .set("dcsCaFile", "/etc/ca.pem").build();
        assertThat(tls.dcsTls()).isTrue();
        assertThat(tls.dcsCaFile()).isEqualTo("/etc/ca.pem");
        assertThatThrownBy(() -> etcd().set("dcsUser", "root").build()).hasMessageContaining("dcsPassword")
                .hasMessageContaining("needs both dcsUser and dcsPassword");
        assertThatThrownBy(() -> etcd().set("dcsCaFile", "/etc/ca.pem").build())
                .hasMessageContaining("'dcsCaFile' needs dcsTls=true");
        assertThatThrownBy(() -> etcd().set("dcsTls", "true").set("dcsCertFile", "/c.pem").build())
                .hasMessageContaining("dcsKeyFile");
        assertThatThrownBy(() -> etcd().set("dcsTls", "yes")).hasMessageContaining("expected true or false");
        assertThatThrownBy(() -> PgClusterConfig.builder().endpoints("w:5432", "r:5433").database("d")
                .set("dcsTls", "true").build()).hasMessageContaining("use pgjdbc's sslmode");
    }

    @Test
    void unknownKeysSuggestTheNearestOne() {
        assertThatThrownBy(() -> etcd().set("scpoe", "x")).hasMessage("Unknown property 'scpoe': did you mean 'scope'?");
        assertThatThrownBy(() -> etcd().set("maxReplicaLAG", "1MB"))
                .hasMessageContaining("did you mean 'maxReplicaLag'?");
        assertThatThrownBy(() -> etcd().set("failovertimeout", "1s"))
                .hasMessageContaining("did you mean 'failoverTimeout'?");
        assertThatThrownBy(() -> etcd().set("sslmdoe", "require")).hasMessageContaining("did you mean 'sslmode'?");
        assertThatThrownBy(() -> etcd().set("zzzzzzzz", "1")).hasMessageContaining("neither a pgcluster property");
    }

    @Test
    void pgjdbcPropertiesPassThroughExceptThoseThatChooseTheServer() {
        PgClusterConfig c = etcd().set("sslmode", "disable").set("ApplicationName", "orders-api")
                .set("prepareThreshold", "3").build();
        assertThat(c.pgjdbcProperties()).containsEntry("sslmode", "disable").containsEntry("prepareThreshold", "3");
        assertThatThrownBy(() -> etcd().set("targetServerType", "primary"))
                .hasMessageContaining("pgcluster chooses the server");
        assertThatThrownBy(() -> etcd().set("readOnly", "true")).hasMessageContaining("Connection.setReadOnly");
    }

    @Test
    void secretsNeverShow() {
        PgClusterConfig c = etcd().set("dcsUser", "root").set("dcsPassword", "etcd-pw").set("dcsTls", "true")
                .set("sslpassword", "key-pw").build();
        assertThat(c.toString()).doesNotContain("s3cret-pw").doesNotContain("etcd-pw").doesNotContain("key-pw")
                .contains("password=****").contains("dcsUser=root");
        assertThatThrownBy(() -> etcd().set("password", null)).hasMessageNotContaining("s3cret-pw");
        // a ';' typed for a '&' leaves a password inside another value: it is still never shown
        PgClusterConfig typo = etcd().scope("s;password=hidden-pw").build();
        assertThat(typo.toString()).doesNotContain("hidden-pw");
        assertThat(c.password()).isEqualTo("s3cret-pw");
    }

    @Test
    void toBuilderCopiesEverything() {
        PgClusterConfig c = etcd().set("sslmode", "disable").set("readPoolSize", "3").build();
        PgClusterConfig d = c.toBuilder().set("readPoolSize", "4").build();
        assertThat(d.readPoolSize()).isEqualTo(4);
        assertThat(d.pgjdbcProperties()).containsEntry("sslmode", "disable");
        assertThat(d.password()).isEqualTo("s3cret-pw");
    }

    @Test
    void zookeeperBuilderMirrorsEtcd() {
        PgClusterConfig c = PgClusterConfig.builder().zookeeper("z1:2181,z2").scope("orders").database("orders")
                .build();
        assertThat(c.source()).isEqualTo(PgClusterConfig.Source.ZOOKEEPER);
        assertThat(c.servers()).containsExactly(new HostAndPort("z1", 2181), new HostAndPort("z2", 2181));
        assertThat(c.namespace()).isEqualTo("/service");
    }

    @Test
    void zookeeperWithoutItsClientNamesTheDependencyToAdd() {
        assertThat(PgClusterConfig.Builder.missingZooKeeperClient(PgClusterConfig.class.getClassLoader())).isNull();
        ClassLoader withoutZooKeeper = new ClassLoader(null) {
        };
        assertThat(PgClusterConfig.Builder.missingZooKeeperClient(withoutZooKeeper))
                .contains("Source zookeeper needs Apache ZooKeeper's client")
                .contains("org.apache.zookeeper:zookeeper");
    }

    @Test
    void allowedHostsIsCheckedAtBuildAndOnlyForPatroniSources() {
        assertThat(etcd().set("allowedHosts", "10.0.0.0/8, db.example.com").build().allowedHostList()
                .permits("10.1.1.1")).isTrue();
        assertThat(etcd().build().allowedHostList().allowsAny()).isTrue();
        assertThatThrownBy(() -> etcd().set("allowedHosts", "10.0.0.0/8,10.0.0.0/40").build())
                .isInstanceOf(PgClusterConfigException.class).hasMessageContaining("allowedHosts")
                .hasMessageContaining("'10.0.0.0/40'");
        assertThatThrownBy(() -> PgClusterConfig.builder().hosts("10.0.0.1:5432").database("d")
                .set("allowedHosts", "10.0.0.0/8").build()).hasMessageContaining("allowedHosts")
                .hasMessageContaining("source hosts");
    }

    @Test
    void poolerSettingsAreCheckedByName() {
        assertThat(PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("s").database("d")
                .set("pooler", "node").set("poolerPortOffset", "1000").build().poolerPortOffset()).isEqualTo(1000);
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("s").database("d")
                .set("pooler", "bouncer")).hasMessageContaining("pooler").hasMessageContaining("none, node");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("s").database("d")
                .poolerPortOffset(1000).build()).isInstanceOf(PgClusterConfigException.class)
                .hasMessageContaining("poolerPortOffset").hasMessageContaining("pooler=node");
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("s").database("d")
                .set("pooler", "node").set("poolerPortOffset", "70000")).hasMessageContaining("poolerPortOffset");
        assertThatThrownBy(() -> PgClusterConfig.builder().endpoints("127.0.0.1:5000", "127.0.0.1:5001")
                .database("d").pooler(PgClusterConfig.Pooler.NODE).build())
                .isInstanceOf(PgClusterConfigException.class).hasMessageContaining("pooler")
                .hasMessageContaining("endpoints");
    }
}
