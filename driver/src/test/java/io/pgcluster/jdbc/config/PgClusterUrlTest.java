package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class PgClusterUrlTest {
    private static final String SECRET = "Hunter2-secret";

    @Test
    void consulUrlsTakeScopeNamespaceAndAMaskedToken() {
        String url = "jdbc:pgcluster:consul://c1,c2:8501/orders?scope=orders&namespace=/pg&dcsTls=true&dcsToken="
                + SECRET;
        PgClusterConfig c = config(url);
        assertThat(c.source()).isEqualTo(PgClusterConfig.Source.CONSUL);
        assertThat(c.servers()).extracting(Object::toString).containsExactly("c1:8500", "c2:8501");
        assertThat(c.namespace()).isEqualTo("/pg");
        assertThat(c.dcsToken()).isEqualTo(SECRET);
        assertThat(PgClusterUrl.mask(url)).doesNotContain(SECRET).contains("dcsToken=****");
        assertThat(failure(url.replace("scope=orders&", "scope=&"))).hasMessageContaining("scope")
                .hasMessageNotContaining(SECRET);
    }

    private static PgClusterConfig config(String url) {
        return PgClusterUrl.parse(url, null).build();
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    /** The failure of parsing (and building) {@code url}; asserts that no password leaks into it. */
    private static PgClusterConfigException failure(String url, Properties info) {
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                () -> PgClusterUrl.parse(url, info).build());
        assertThat(e.getMessage()).doesNotContain(SECRET);
        assertThat(e.toString()).doesNotContain(SECRET);
        return e;
    }

    private static PgClusterConfigException failure(String url) {
        return failure(url, props("password", SECRET));
    }

    @Test
    void acceptsOnlyThePgclusterPrefix() {
        assertThat(PgClusterUrl.accepts("jdbc:pgcluster:etcd://h:2379/db?scope=s")).isTrue();
        assertThat(PgClusterUrl.accepts("jdbc:pgcluster://h/db")).isTrue(); // ours, though malformed
        assertThat(PgClusterUrl.accepts("jdbc:postgresql://h/db")).isFalse();
        assertThat(PgClusterUrl.accepts("jdbc:pgcluster")).isFalse();
        assertThat(PgClusterUrl.accepts("")).isFalse();
        assertThat(PgClusterUrl.accepts(null)).isFalse();
    }

    @Test
    void etcd() {
        PgClusterConfig c = config("jdbc:pgcluster:etcd://10.0.0.1:2379,10.0.0.2:2380,etcd3/orders?scope=orders"
                + "&namespace=/pg&failoverTimeout=20s&maxReplicaLag=8MB&sslmode=disable&ApplicationName=api");
        assertThat(c.source()).isEqualTo(PgClusterConfig.Source.ETCD);
        assertThat(c.servers()).containsExactly(new HostAndPort("10.0.0.1", 2379), new HostAndPort("10.0.0.2", 2380),
                new HostAndPort("etcd3", 2379));
        assertThat(c.database()).isEqualTo("orders");
        assertThat(c.scope()).isEqualTo("orders");
        assertThat(c.namespace()).isEqualTo("/pg");
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.maxReplicaLag()).isEqualTo(8L << 20);
        assertThat(c.pgjdbcProperties()).containsEntry("sslmode", "disable").containsEntry("ApplicationName", "api");
        assertThat(c.namespace()).isEqualTo("/pg");
    }

    @Test
    void zookeeper() {
        PgClusterConfig c = config("jdbc:pgcluster:zookeeper://10.0.0.1:2181,10.0.0.2:2182,zk3/orders?scope=orders"
                + "&namespace=/pg&dcsTimeout=3s");
        assertThat(c.source()).isEqualTo(PgClusterConfig.Source.ZOOKEEPER);
        assertThat(c.servers()).containsExactly(new HostAndPort("10.0.0.1", 2181), new HostAndPort("10.0.0.2", 2182),
                new HostAndPort("zk3", 2181));
        assertThat(c.database()).isEqualTo("orders");
        assertThat(c.scope()).isEqualTo("orders");
        assertThat(c.namespace()).isEqualTo("/pg");
        assertThat(c.dcsTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config("jdbc:pgcluster:ZooKeeper://zk/orders?scope=orders").namespace()).isEqualTo("/service");
    }

    @Test
    void patroniHostsAndEndpoints() {
        PgClusterConfig patroni = config("jdbc:pgcluster:patroni://pg1:8008,pg2/orders");
        assertThat(patroni.source()).isEqualTo(PgClusterConfig.Source.PATRONI);
        assertThat(patroni.servers()).containsExactly(new HostAndPort("pg1", 8008), new HostAndPort("pg2", 8008));

        PgClusterConfig hosts = config("jdbc:pgcluster:hosts://[::1]:5432,[fe80::1]:5433,db3/app?user=app");
        assertThat(hosts.source()).isEqualTo(PgClusterConfig.Source.HOSTS);
        assertThat(hosts.servers()).containsExactly(new HostAndPort("::1", 5432), new HostAndPort("fe80::1", 5433),
                new HostAndPort("db3", 5432));
        assertThat(hosts.user()).isEqualTo("app");

        PgClusterConfig endpoints = config("jdbc:pgcluster:endpoints://haproxy:5000/app?read=haproxy:5001");
        assertThat(endpoints.source()).isEqualTo(PgClusterConfig.Source.ENDPOINTS);
        assertThat(endpoints.servers()).containsExactly(new HostAndPort("haproxy", 5000));
        assertThat(endpoints.readEndpoint()).isEqualTo(new HostAndPort("haproxy", 5001));

        assertThat(config("jdbc:pgcluster:HOSTS://db1/app").source()).isEqualTo(PgClusterConfig.Source.HOSTS);
    }

    @Test
    void databaseAndValuesArePercentDecodedAsPgjdbcDoes() {
        PgClusterConfig c = config("jdbc:pgcluster:hosts://db1/caf%C3%A9%20db?user=%C3%A9mile"
                + "&password=p%40ss%26w%3Drd&ApplicationName=orders+api&&");
        assertThat(c.database()).isEqualTo("café db");
        assertThat(c.user()).isEqualTo("émile");
        assertThat(c.password()).isEqualTo("p@ss&w=rd");
        assertThat(c.pgjdbcProperties()).containsEntry("ApplicationName", "orders api");
        assertThat(config("jdbc:pgcluster:hosts://db1/a%2Fb").database()).isEqualTo("a/b");
    }

    @Test
    void propertiesOverrideTheUrl() {
        Properties info = props("user", "u2", "password", SECRET, "failoverTimeout", "20s", "sslmode", "require");
        info.put("writePoolSize", 7); // not a String: taken as text
        PgClusterConfig c = PgClusterUrl.parse("jdbc:pgcluster:hosts://db1/app?user=u1&password=other"
                + "&failoverTimeout=not-a-duration&sslmode=disable", info).build();
        assertThat(c.user()).isEqualTo("u2");
        assertThat(c.password()).isEqualTo(SECRET);
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.pgjdbcProperties()).containsEntry("sslmode", "require");
        assertThat(c.writePoolSize()).isEqualTo(7);

        Properties defaults = props("user", "fromDefaults");
        assertThat(PgClusterUrl.parse("jdbc:pgcluster:hosts://db1/app", new Properties(defaults)).build().user())
                .isEqualTo("fromDefaults");
        assertThat(PgClusterUrl.parse("jdbc:pgcluster:hosts://db1", props("database", "d")).build().database())
                .isEqualTo("d");
        assertThat(PgClusterUrl.parse("jdbc:pgcluster:etcd://e:2379/d", props("scope", "s")).build().scope())
                .isEqualTo("s");
    }

    @Test
    void noSource() {
        PgClusterConfigException e = failure("jdbc:pgcluster://h:2379/db?password=" + SECRET);
        assertThat(e).hasMessageContaining("names no topology source")
                .hasMessageContaining("jdbc:pgcluster:<source>://").hasMessageContaining("etcd, zookeeper, consul, patroni, hosts, endpoints")
                .hasMessageContaining("password=****");
        assertThat(e.property()).isEqualTo(PgClusterProperty.SOURCE);
    }

    @Test
    void unknownSourceSuggestsTheNearest() {
        PgClusterConfigException e = failure("jdbc:pgcluster:etdc://h:2379/db?scope=s&password=" + SECRET);
        assertThat(e).hasMessageContaining("Unknown topology source 'etdc'").hasMessageContaining("did you mean 'etcd'?")
                .hasMessageContaining("password=****");
        assertThat(failure("jdbc:pgcluster:host://h/db")).hasMessageContaining("did you mean 'hosts'?");
        assertThat(failure("jdbc:pgcluster:mysql://h/db")).hasMessageNotContaining("did you mean")
                .hasMessageContaining("etcd, zookeeper, consul, patroni, hosts, endpoints");
        assertThat(failure("jdbc:pgcluster:consul://h:8500/db")).hasMessageContaining("scope");
        assertThat(failure("jdbc:postgresql://h/db")).hasMessageContaining("not a pgcluster URL");
    }

    @Test
    void missingSlashes() {
        assertThat(failure("jdbc:pgcluster:etcd:h:2379/db?scope=s&password=" + SECRET))
                .hasMessageContaining("lacks '//' after 'jdbc:pgcluster:etcd:'")
                .hasMessageContaining("jdbc:pgcluster:etcd://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE");
        assertThat(failure("jdbc:pgcluster:hosts/db1/app")).hasMessageContaining("lacks '//'");
    }

    @Test
    void badAddresses() {
        PgClusterConfigException e = failure("jdbc:pgcluster:hosts://db1:99999/app?password=" + SECRET);
        assertThat(e).hasMessageContaining("Bad HOST:PORT list in URL").hasMessageContaining("port '99999'")
                .hasMessageContaining("1 to 65535");
        assertThat(e.property()).isEqualTo(PgClusterProperty.SERVERS);
        assertThat(failure("jdbc:pgcluster:hosts://db1,,db2/app")).hasMessageContaining("empty address");
        assertThat(failure("jdbc:pgcluster:hosts://::1:5432/app")).hasMessageContaining("[::1]:5432");
        assertThat(failure("jdbc:pgcluster:hosts://[::1:5432/app")).hasMessageContaining("without ']'");
        assertThat(failure("jdbc:pgcluster:hosts://db1:x/app")).hasMessageContaining("port 'x'");
        assertThat(failure("jdbc:pgcluster:hosts:///app")).hasMessageContaining("no HOST:PORT after '//'");
        assertThat(failure("jdbc:pgcluster:endpoints://w:1,w2:1/d?read=r:2"))
                .hasMessageContaining("exactly one write address");
        assertThat(failure("jdbc:pgcluster:endpoints://w:1/d?read=r:0")).hasMessageContaining("'read'")
                .hasMessageContaining("port '0'");
    }

    @Test
    void userInformationIsRejectedWithThePasswordMasked() {
        PgClusterConfigException e = failure("jdbc:pgcluster:etcd://app:" + SECRET + "@h:2379/db?scope=s", null);
        assertThat(e).hasMessageContaining("user information ('app:****@')")
                .hasMessageContaining("pass user and password as Properties");
        assertThat(failure("jdbc:pgcluster:hosts://app@db1/d")).hasMessageContaining("('****@')");
    }

    /** Inputs from a review that once leaked: a password may hold any character, in any part of the URL. */
    @Test
    void passwordsWithUrlSyntaxInsideThemAreNeverShown() {
        String[] leaky = {
            "jdbc:pgcluster:etcd://app:Hunter2?secret@10.0.0.1:2379/orders?scope=orders",
            "jdbc:pgcluster:etcd://app:Hunter2/secret@10.0.0.1:2379/orders?scope=orders",
            "jdbc:pgcluster:etcd://app:Hunter2/secret@10.0.0.1:2379?scope=orders",
            "jdbc:pgcluster:etcd://app:Hunter2@secret@10.0.0.1:2379/orders?scope=orders",
            "jdbc:pgcluster:etcd://app:Hunter2&x=secret@10.0.0.1:2379/orders?scope=orders",
            "jdbc:pgcluster:hosts://db1/d?password%3DHunter2secret",
            "jdbc:pgcluster:hosts://db1/d?password%3DHunter2=secret",
            "jdbc:pgcluster:hosts://db1/d?passwrd=Hunter2secret",
            "jdbc:pgcluster:hosts://db1/d?password=Hunter2&secret=x",
            "jdbc:pgcluster:hosts://db1/d?password=Hunter2&se=cret&user=app",
        };
        for (String url : leaky) {
            PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                    () -> PgClusterUrl.parse(url, null).build(), url);
            assertThat(e.getMessage()).as(url).doesNotContain("Hunter2").doesNotContain("secret");
            assertThat(PgClusterUrl.mask(url)).as(url).doesNotContain("Hunter2").doesNotContain("secret");
            assertThat(PgClusterUrl.describe(url, null).toString()).as(url).doesNotContain("Hunter2")
                    .doesNotContain("secret");
        }
        // a '@' in a parameter value is no user information: the URL still works
        assertThat(config("jdbc:pgcluster:hosts://db1/d?ApplicationName=orders@eu&user=app").pgjdbcProperties())
                .containsEntry("ApplicationName", "orders@eu");
    }

    @Test
    void missingDatabase() {
        for (String url : new String[] {"jdbc:pgcluster:hosts://db1:5432", "jdbc:pgcluster:hosts://db1:5432/",
                "jdbc:pgcluster:hosts://db1:5432?user=app"}) {
            PgClusterConfigException e = failure(url);
            assertThat(e).hasMessageContaining("names no database")
                    .hasMessageContaining("jdbc:pgcluster:hosts://HOST:PORT[,HOST:PORT...]/DATABASE");
            assertThat(e.property()).isEqualTo(PgClusterProperty.DATABASE);
        }
        assertThat(failure("jdbc:pgcluster:etcd://e:2379/service/orders?scope=s"))
                .hasMessageContaining("the path names only the database").hasMessageContaining("%2F");
    }

    @Test
    void sourceDependentRequiredParameters() {
        PgClusterConfigException scope = failure("jdbc:pgcluster:etcd://e:2379/db?namespace=/pg&password=" + SECRET);
        assertThat(scope).hasMessageContaining("lacks 'scope'").hasMessageContaining("?scope=");
        assertThat(scope.property()).isEqualTo(PgClusterProperty.SCOPE);
        PgClusterConfigException zkScope = failure("jdbc:pgcluster:zookeeper://z:2181/db?password=" + SECRET);
        assertThat(zkScope).hasMessageContaining("lacks 'scope'").hasMessageContaining("source zookeeper")
                .hasMessageContaining("jdbc:pgcluster:zookeeper://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE")
                .hasMessageNotContaining(SECRET);
        assertThat(zkScope.property()).isEqualTo(PgClusterProperty.SCOPE);
        assertThat(failure("jdbc:pgcluster:zookeeper://z:2181/db?scope=s&dcsUser=u"))
                .hasMessageContaining("needs both dcsUser and dcsPassword");
        assertThat(failure("jdbc:pgcluster:hosts://h:5432/db?dcsUser=u"))
                .hasMessageContaining("'dcsUser' applies only to sources etcd, zookeeper, consul and patroni");
        assertThat(failure("jdbc:pgcluster:zookeeper://z:99999/db?scope=s")).hasMessageContaining("99999");
        assertThat(failure("jdbc:pgcluster:zookeeper://z:2181?scope=s")).hasMessageContaining("names no database");
        PgClusterConfigException read = failure("jdbc:pgcluster:endpoints://w:5000/db");
        assertThat(read).hasMessageContaining("lacks 'read'").hasMessageContaining("?read=READ_HOST:PORT");
        assertThat(read.property()).isEqualTo(PgClusterProperty.READ);
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?read=r:1")).hasMessageContaining("only to source endpoints");
    }

    @Test
    void badValuesNameTheKeyAndWhatWouldBeRight() {
        PgClusterConfigException e = failure("jdbc:pgcluster:hosts://db1/d?failoverTimeout=30x&password=" + SECRET);
        assertThat(e).hasMessageContaining("'30x'").hasMessageContaining("failoverTimeout")
                .hasMessageContaining("500ms, 30s");
        assertThat(e.property()).isEqualTo(PgClusterProperty.FAILOVER_TIMEOUT);
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?writePoolSize=0")).hasMessageContaining("1 to 10000");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?loadBalance=fastest"))
                .hasMessageContaining("roundRobin, random, leastConnections");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d", props("connectionTimeout", "1ms")))
                .hasMessageContaining("250ms to 10m");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?targetServerType=primary"))
                .hasMessageContaining("pgcluster chooses the server");
    }

    @Test
    void unknownKeysSuggestTheNearestOne() {
        PgClusterConfigException e = failure("jdbc:pgcluster:hosts://db1/d?failovrTimeout=5s&password=" + SECRET);
        assertThat(e).hasMessage("Unknown property 'failovrTimeout': did you mean 'failoverTimeout'?");
        assertThat(e.property()).isNull();
        assertThat(e.key()).isEqualTo("failovrTimeout");
        assertThat(failure("jdbc:pgcluster:etcd://e/d?scpoe=s")).hasMessageContaining("did you mean 'scope'?");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d", props("maxReplicaLagg", "1MB")))
                .hasMessageContaining("did you mean 'maxReplicaLag'?");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?zzzzzzzz=1")).hasMessageContaining("neither a pgcluster");
    }

    @Test
    void emptyDuplicateAndMisplacedKeys() {
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?user=a&=" + SECRET))
                .hasMessageContaining("Parameter 2 of the URL").hasMessageContaining("no key before '='");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d", props("", "x")))
                .hasMessageContaining("empty key");
        PgClusterConfigException dup = failure("jdbc:pgcluster:hosts://db1/d?password=" + SECRET + "&password=x");
        assertThat(dup).hasMessageContaining("'password' appears twice").hasMessageContaining("password=****&password=****");
        assertThat(dup.key()).isEqualTo("password");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?servers=db2")).hasMessageContaining("part of the URL itself");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?database=x")).hasMessageContaining("part of the URL itself");
    }

    @Test
    void malformedPercentEncodingMasksSecrets() {
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?password=%zz" + SECRET))
                .hasMessageContaining("Malformed percent-encoding in the value of 'password' ('****')");
        assertThat(failure("jdbc:pgcluster:hosts://db1/d?ApplicationName=%zz"))
                .hasMessageContaining("'%zz'").hasMessageContaining("%25");
        assertThat(failure("jdbc:pgcluster:hosts://db1/caf%zz")).hasMessageContaining("Malformed percent-encoding");
    }

    @Test
    void aPasswordWithAnUnencodedAmpersandIsNotShownAsAKey() {
        PgClusterConfigException e = failure("jdbc:pgcluster:hosts://db1/d?password=Hunter2&-secret&user=app");
        assertThat(e).hasMessageContaining("percent-encode it as %26").hasMessageNotContaining("Hunter2")
                .hasMessageNotContaining("-secret");
        assertThat(e.key()).isEqualTo("password");
        assertThat(PgClusterUrl.mask("jdbc:pgcluster:hosts://db1/d?password=Hunter2&-secret&user=app"))
                .isEqualTo("jdbc:pgcluster:hosts://db1/d?password=****&****&user=app");
        // a known key without value after a password is fine
        assertThat(config("jdbc:pgcluster:hosts://db1/d?password=x&ssl").pgjdbcProperties()).containsKey("ssl");
    }

    @Test
    void maskHidesEveryPassword() {
        assertThat(PgClusterUrl.mask("jdbc:pgcluster:etcd://h:2379/db?scope=s&password=" + SECRET + "&dcsPassword="
                + SECRET + "&sslpassword=" + SECRET + "&PASSWORD=" + SECRET + "&pass%77ord=" + SECRET + "&user=app"))
                .isEqualTo("jdbc:pgcluster:etcd://h:2379/db?scope=s&password=****&dcsPassword=****"
                        + "&sslpassword=****&PASSWORD=****&pass%77ord=****&user=app");
        assertThat(PgClusterUrl.mask("jdbc:pgcluster:etcd://app:" + SECRET + "@h:2379/db?scope=s"))
                .isEqualTo("jdbc:pgcluster:etcd://app:****@h:2379/db?scope=s");
        assertThat(PgClusterUrl.mask("jdbc:pgcluster:etcd://app:a/b@c@h:2379/db")).doesNotContain("a/b@c")
                .contains("app:****@h:2379");
        assertThat(PgClusterUrl.mask("jdbc:pgcluster:hosts://db1/d")).isEqualTo("jdbc:pgcluster:hosts://db1/d");
        assertThat(PgClusterUrl.mask(null)).isNull();
    }

    @Test
    void describeIsBestEffortAndMasksSecrets() {
        Map<String, String> d = PgClusterUrl.describe("jdbc:pgcluster:etdc://h:99999/db?scope=s&password=" + SECRET
                + "&failoverTimeout=30x&=x&bad=%zz", props("dcsPassword", SECRET, "user", "app"));
        assertThat(d).doesNotContainKey("source").containsEntry("servers", "h:99999").containsEntry("database", "db")
                .containsEntry("scope", "s").containsEntry("password", "****").containsEntry("dcsPassword", "****")
                .containsEntry("failoverTimeout", "30x").containsEntry("user", "app").doesNotContainKey("bad");
        assertThat(d.values()).noneMatch(v -> v.contains(SECRET));
        assertThat(PgClusterUrl.describe("jdbc:pgcluster:etcd://app:" + SECRET + "@h/db", null))
                .containsEntry("source", "etcd").containsEntry("servers", "h").containsEntry("database", "db");
        for (String garbage : new String[] {null, "", "jdbc:pgcluster:", "jdbc:pgcluster:etcd://", "jdbc:pgcluster:?",
                "jdbc:pgcluster:etcd:h/db?scope=s", "jdbc:pgcluster:etcd://h/a/b?%zz=1", "jdbc:mysql://h/db"}) {
            assertThat(PgClusterUrl.describe(garbage, null)).as(garbage).isNotNull();
        }
        assertThat(PgClusterUrl.describe("jdbc:pgcluster:etcd:h/db?scope=s", null)).containsEntry("scope", "s")
                .containsEntry("source", "etcd");
    }
}
