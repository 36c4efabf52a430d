package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigsTest {
    private static ClusterSpec spec(HaProxyChecks checks, boolean sync) {
        return demo().withHaProxy(true).haProxyChecks(checks).withPgBouncer(true).withFaultProxies(true)
                .synchronousMode(sync).spec();
    }

    private static PatroniClusterBuilder demo() {
        return PatroniCluster.builder().scope("demo");
    }

    private static PatroniClusterBuilder zooKeeper() {
        return demo().nodes(2).dcs(Dcs.ZOOKEEPER);
    }

    @Test
    void patroniYamlHasTimingAddressesAndAuthentication() {
        Secrets secrets = new Secrets();
        String y = Configs.patroniYaml(spec(HaProxyChecks.TIGHT, true), "pg2", 5442, 6442, 8009, 2379,
                Path.of("/tmp/x/pg2/data"), Path.of("/tmp/x/pg2/pgpass"), Path.of("/usr/lib/postgresql/15/bin"), secrets);
        assertThat(y).contains("scope: demo\n", "namespace: '/service'\n", "name: pg2\n",
                "  listen: 127.0.0.1:8009\n", "etcd3:\n  hosts: 127.0.0.1:2379\n",
                "    ttl: 10\n    loop_wait: 2\n    retry_timeout: 4\n", "    synchronous_mode: true\n",
                "      use_pg_rewind: true\n", "      use_slots: true\n",
                "  listen: 127.0.0.1:5442\n  connect_address: 127.0.0.1:6442\n",
                "  data_dir: '/tmp/x/pg2/data'\n", "  bin_dir: '/usr/lib/postgresql/15/bin'\n",
                "    shared_buffers: 32MB\n", "        max_connections: 100\n", "        wal_keep_size: 64MB\n",
                "        max_wal_senders: 10\n", "        wal_log_hints: 'on'\n", "        hot_standby: 'on'\n",
                "password: '" + secrets.superuserPassword + "'",
                "    - host replication replicator 127.0.0.1/32 scram-sha-256\n",
                "    - host all all 127.0.0.1/32 scram-sha-256\n");
        assertThat(y).doesNotContain("trust").doesNotContain("ssl");
    }

    @Test
    void postgresTlsTurnsSslOnWithTheNodesCertificate() {
        String y = Configs.patroniYaml(spec(HaProxyChecks.TIGHT, false), "pg1", 5441, 5441, 8008, 2379,
                Path.of("/d"), Path.of("/p"), Path.of("/b"), new Secrets(), null, null,
                new Certificates.Issued(Path.of("/t/pg1.crt"), Path.of("/t/pg1.key")), "");
        assertThat(y).contains("  parameters:\n", "    password_encryption: scram-sha-256\n", "    ssl: 'on'\n",
                "    ssl_cert_file: '/t/pg1.crt'\n", "    ssl_key_file: '/t/pg1.key'\n",
                "    - host all all 127.0.0.1/32 scram-sha-256\n");
        assertThat(y).doesNotContain("null");
    }

    @Test
    void haproxyUsesPatroniChecksAndTheChosenTiming() {
        List<Configs.Backend> backends = List.of(new Configs.Backend("pg1", 6441, 8008),
                new Configs.Backend("pg2", 6442, 8009));
        String tight = Configs.haproxyCfg(spec(HaProxyChecks.TIGHT, false), 5000, 5001, 7000, backends);
        assertThat(tight).contains("listen write\n    bind 127.0.0.1:5000\n", "option httpchk GET /primary\n",
                "listen read\n    bind 127.0.0.1:5001\n", "option httpchk GET /replica?lag=1048576\n",
                "http-check expect status 200", "default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions",
                "server pg1 127.0.0.1:6441 maxconn 100 check port 8008", "server pg2 127.0.0.1:6442 maxconn 100 check "
                        + "port 8009", "bind 127.0.0.1:7000");
        String docs = Configs.haproxyCfg(spec(HaProxyChecks.PATRONI_DOCS, false), 5000, 5001, 7000, backends);
        assertThat(docs).contains("default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions",
                "timeout check 5s");
        assertThat(HaProxyChecks.TIGHT.serverOptions()).isEqualTo("inter 1s fall 2 rise 1");
        assertThat(HaProxyChecks.PATRONI_DOCS.serverOptions()).isEqualTo("inter 3s fall 3 rise 2");
    }

    @Test
    void restApiSecurityRendersTlsClientCertificatesAndAuthentication() {
        Certificates.Issued server = new Certificates.Issued(Path.of("/t/rest.crt"), Path.of("/t/rest.key"));
        RestSecurity all = new RestSecurity(true, true, "patroni", null);
        String y = Configs.patroniYaml(spec(HaProxyChecks.TIGHT, false), "pg1", 5441, 5441, 8008, 2379, Path.of("/d"),
                Path.of("/p"), Path.of("/b"), new Secrets(), null, null, null, Configs.restApiSecurity(all, "pw1", server,
                        Path.of("/t/ca.crt")));
        assertThat(y).contains("restapi:\n  listen: 127.0.0.1:8008\n  connect_address: 127.0.0.1:8008\n"
                + "  certfile: '/t/rest.crt'\n  keyfile: '/t/rest.key'\n  cafile: '/t/ca.crt'\n"
                + "  verify_client: required\n  authentication:\n    username: 'patroni'\n    password: 'pw1'\n"
                + "etcd3:");
        assertThat(Configs.restApiSecurity(new RestSecurity(true, false, null, null), null, server,
                Path.of("/t/ca.crt"))).contains("certfile").doesNotContain("verify_client", "authentication");
        assertThat(Configs.restApiSecurity(RestSecurity.NONE, null, null, null)).isEmpty();
        assertThat(all.toString()).isEqualTo(", REST API https with client certificates, basic auth");
        assertThat(new RestSecurity(false, false, "u", "secret-pw").toString()).doesNotContain("secret-pw");
        assertThatThrownBy(() -> new RestSecurity(false, true, null, null)).hasMessageContaining("needs restTls");
    }

    @Test
    void haproxyChecksOverHttpsOnlyForTheChecks() {
        List<Configs.Backend> backends = List.of(new Configs.Backend("pg1", 6441, 8008));
        String cfg = Configs.haproxyCfg(spec(HaProxyChecks.TIGHT, false), 5000, 5001, 7000, backends,
                Configs.haproxyCheckTls(Path.of("/t/ca.crt"), Path.of("/t/client.pem")));
        assertThat(cfg).contains("server pg1 127.0.0.1:6441 maxconn 100 check port 8008 check-ssl verify required "
                + "ca-file /t/ca.crt verifyhost localhost crt /t/client.pem\n");
        assertThat(cfg).doesNotContain(" ssl ");
    }

    @Test
    void pgbouncerForwardsToHaproxyWithScram() {
        String ini = Configs.pgbouncerIni("read", 6432, 5001, Path.of("/x/userlist.txt"));
        assertThat(ini).contains("* = host=127.0.0.1 port=5001\n", "listen_addr = 127.0.0.1\n", "listen_port = 6432\n",
                "auth_type = scram-sha-256\n", "auth_file = /x/userlist.txt\n", "pool_mode = session\n",
                "server_login_retry = 1\n", "ignore_startup_parameters = extra_float_digits\n");
        Secrets s = new Secrets();
        assertThat(Configs.userlist(s)).isEqualTo("\"app\" \"" + s.appPassword + "\"\n\"postgres\" \""
                + s.superuserPassword + "\"\n");
    }

    @Test
    void etcdRunsFromFlagsSoTheGrpcGatewayIsOn() {
        List<String> cmd = Configs.etcdCommand(Path.of("/usr/bin/etcd"), "demo", Path.of("/d"), 2379, 2380);
        assertThat(cmd).startsWith("/usr/bin/etcd").doesNotContain("--config-file")
                .containsSubsequence("--listen-client-urls", "http://127.0.0.1:2379")
                .containsSubsequence("--initial-cluster", "etcd1=http://127.0.0.1:2380")
                .containsSubsequence("--data-dir", "/d");
    }

    @Test
    void secretsAreRandomAndNeedNoQuoting() {
        Secrets a = new Secrets();
        Secrets b = new Secrets();
        assertThat(a.appPassword).isNotEqualTo(b.appPassword).matches("[A-Za-z0-9]{20}");
        assertThat(a.superuserPassword).isNotEqualTo(a.appPassword);
        assertThat(Configs.q("it's")).isEqualTo("'it''s'");
    }

    @Test
    void zooKeeperClusterUsesPatronisZookeeperSectionAndAStandaloneServer() {
        ClusterSpec zk = demo().dcs(Dcs.ZOOKEEPER).spec();
        String y = Configs.patroniYaml(zk, "pg1", 5441, 5441, 8008, 2181, Path.of("/d"), Path.of("/p"),
                Path.of("/usr/lib/postgresql/15/bin"), new Secrets());
        assertThat(y).contains("zookeeper:\n  hosts: ['127.0.0.1:2181']\n").doesNotContain("etcd");
        assertThat(Configs.zooCfg(Path.of("/x/zookeeper/data"), 2181)).contains("dataDir=/x/zookeeper/data\n",
                "clientPort=2181\n", "clientPortAddress=127.0.0.1\n", "admin.enableServer=false\n",
                "4lw.commands.whitelist=ruok,srvr\n", "tickTime=1000\n");
        assertThat(Configs.zooKeeperCommand(Path.of("/usr/bin/java"), Path.of("/usr/share/java/zookeeper.jar"),
                Path.of("/x/zoo.cfg"))).startsWith("/usr/bin/java").endsWith("-cp",
                "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
                "org.apache.zookeeper.server.ZooKeeperServerMain", "/x/zoo.cfg");
    }

    @Test
    void consulClusterUsesPatronisConsulSection() {
        ClusterSpec consul = demo().dcs(Dcs.CONSUL).spec();
        String y = Configs.patroniYaml(consul, "pg1", 5441, 5441, 8008, 8500, Path.of("/d"), Path.of("/p"),
                Path.of("/usr/lib/postgresql/15/bin"), new Secrets());
        assertThat(y).contains("consul:\n  host: 127.0.0.1:8500\n  register_service: false\nwatchdog:")
                .doesNotContain("etcd", "zookeeper", "token");
        String secured = Configs.patroniYaml(consul, "pg1", 5441, 5441, 8008, 8501, Path.of("/d"), Path.of("/p"),
                Path.of("/usr/lib/postgresql/15/bin"), new Secrets(), null, null, null, "",
                ConsulServer.patroniSection("127.0.0.1:8501", Path.of("/t/ca.crt"), "tok-en"));
        assertThat(secured).contains("consul:\n  host: 127.0.0.1:8501\n  register_service: false\n  scheme: https\n"
                + "  verify: true\n  cacert: '/t/ca.crt'\n  token: 'tok-en'\nwatchdog:");
    }

    @Test
    void consulAgentRunsInDevModeOnItsOwnPortsWithTlsAndAcls() {
        assertThat(ConsulServer.command(Path.of("/c/consul"), Path.of("/x/consul.json"))).containsExactly(
                "/c/consul", "agent", "-dev", "-bind=127.0.0.1", "-client=127.0.0.1", "-config-file=/x/consul.json");
        Object plain = Json.parse(ConsulServer.configJson(8501, 8301, 8302, 8303, null, null, null));
        assertThat(plain).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("ports", Json.parse("{\"http\":8501,\"dns\":-1,\"grpc\":-1,\"server\":8301,"
                        + "\"serf_lan\":8302,\"serf_wan\":8303}"))
                .containsEntry("session_ttl_min", "1s").doesNotContainKeys("acl", "cert_file");
        ConsulServer.Acl acl = new ConsulServer.Acl("m-1", "p-2", "c-3");
        String secured = ConsulServer.configJson(8501, 8301, 8302, 8303,
                new Certificates.Issued(Path.of("/t/consul.crt"), Path.of("/t/consul.key")), Path.of("/t/ca.crt"), acl);
        assertThat(Json.parseObject(secured)).containsEntry("ports", Json.parse("{\"http\":-1,\"https\":8501,"
                        + "\"dns\":-1,\"grpc\":-1,\"server\":8301,\"serf_lan\":8302,\"serf_wan\":8303}"))
                .containsEntry("cert_file", "/t/consul.crt").containsEntry("ca_file", "/t/ca.crt")
                .containsEntry("acl", Json.parse("{\"enabled\":true,\"default_policy\":\"deny\","
                        + "\"down_policy\":\"extend-cache\",\"tokens\":{\"master\":\"m-1\",\"agent\":\"m-1\"}}"));
        assertThat(acl.toString()).doesNotContain("m-1", "p-2", "c-3");
        assertThat(ConsulServer.keyPrefix("/service", "demo")).isEqualTo("service/demo/");
        assertThat(ConsulServer.keyPrefix("/service/", "demo")).isEqualTo("service/demo/");
        assertThat(ConsulServer.keyPrefix("/", "demo")).isEqualTo("demo/");
        assertThat(ConsulServer.clientRules("service/demo/")).isEqualTo(
                "key_prefix \"service/demo/\" { policy = \"read\" }\n");
        assertThat(ConsulServer.patroniRules("service/demo/")).contains(
                "key_prefix \"service/demo/\" { policy = \"write\" }\n", "session_prefix \"\" { policy = \"write\" }\n");
    }

    @Test
    void patroni4RunsTheUnpackedPackageWithTheSystemsPython() {
        Path yml = Path.of("/x/pg1/patroni.yml");
        assertThat(Configs.patroniCommand(3, Path.of("/usr/bin/python3"), Path.of("/usr/bin/patroni"),
                null, yml)).containsExactly("/usr/bin/python3", "/usr/bin/patroni", "/x/pg1/patroni.yml");
        assertThat(Configs.patroniCommand(4, Path.of("/usr/bin/python3"), null, Path.of("/opt/pgcluster/patroni4"),
                yml)).containsExactly("PYTHONPATH=/opt/pgcluster/patroni4/usr/lib/python3/dist-packages",
                        "/usr/bin/python3", "-m", "patroni", "/x/pg1/patroni.yml");
        assertThat(Configs.patronictlCommand(4, Path.of("/usr/bin/python3"), Path.of("/usr/bin/patronictl"),
                Path.of("/opt/p4"), yml)).isEqualTo("PYTHONPATH=/opt/p4/usr/lib/python3/dist-packages /usr/bin/python3"
                        + " -c 'from patroni.ctl import ctl; ctl()' -c /x/pg1/patroni.yml");
        assertThat(Configs.patronictlCommand(3, Path.of("/usr/bin/python3"), Path.of("/usr/bin/patronictl"),
                Path.of("/opt/p4"), yml)).isEqualTo("/usr/bin/patronictl -c /x/pg1/patroni.yml");
        assertThat(Configs.patroniYaml(demo().patroniVersion(4).spec(), "pg1", 5441, 5441, 8008, 2379, Path.of("/d"),
                Path.of("/p"), Path.of("/usr/lib/postgresql/15/bin"), new Secrets())).startsWith(
                        "# Generated by pgcluster-testkit. Patroni pg1 of cluster demo (Patroni 4).\n");
    }

    @Test
    void zooKeeperWithTlsAndAuthSpeaksTlsOnlyAndClosesPatronisZnodes() {
        ClusterSpec spec = zooKeeper().zooKeeperTls(true).zooKeeperAuth("reader", "s3cret").spec();
        Configs.ZooKeeperTlsFiles files = new Configs.ZooKeeperTlsFiles(Path.of("/t/ca.crt"), Path.of("/t/zk.pem"),
                Path.of("/t/patroni.crt"), Path.of("/t/patroni.key"), "CN=patroni", "CN=pgcluster-reader");
        String y = Configs.patroniYaml(spec, "pg1", 5441, 5441, 8008, 2281, Path.of("/d"), Path.of("/p"),
                Path.of("/usr/lib/postgresql/15/bin"), new Secrets(), null, files, null, "");
        assertThat(y).contains("zookeeper:\n  hosts: ['127.0.0.1:2281']\n  use_ssl: true\n  verify: true\n"
                + "  cacert: '/t/ca.crt'\n  cert: '/t/patroni.crt'\n  key: '/t/patroni.key'\n"
                + "  set_acls:\n    'CN=patroni': [ALL]\n    'CN=pgcluster-reader': [READ]\n")
                .doesNotContain("s3cret");
        String cfg = Configs.zooCfg(Path.of("/x/data"), 2281, files, "reader", "s3cret");
        assertThat(cfg).contains("secureClientPort=2281\n", "secureClientPortAddress=127.0.0.1\n",
                "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n",
                "ssl.keyStore.location=/t/zk.pem\n", "ssl.keyStore.type=PEM\n", "ssl.trustStore.location=/t/ca.crt\n",
                "ssl.trustStore.type=PEM\n", "ssl.clientAuth=want\n",
                // base64(sha1("reader:s3cret")), as ZooKeeper's DigestAuthenticationProvider computes it
                "DigestAuthenticationProvider.superDigest=reader:" + Configs.digest("reader", "s3cret") + "\n")
                .doesNotContain("clientPort=2281\nclientPortAddress").doesNotContain("s3cret");
        // the example of ZooKeeper's administrator guide: super user "super", password "test"
        assertThat(Configs.digest("super", "test")).isEqualTo("D/InIHSb7yEEbrWz8b9l71RjZJU=");
        assertThat(Configs.zooKeeperCommand(Path.of("/usr/bin/java"), Path.of("/usr/share/java/zookeeper.jar"),
                Path.of("/x/zoo.cfg"), true)).contains("/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
                + ":/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar");
    }

    @Test
    void zooKeeperAuthNeedsTlsAndZooKeeper() {
        assertThatThrownBy(() -> zooKeeper().zooKeeperAuth("reader", "s3cret").spec())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zooKeeperAuth needs zooKeeperTls")
                .hasMessageContaining("x509");
        assertThatThrownBy(() -> demo().nodes(2).zooKeeperTls(true).spec())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Dcs.ZOOKEEPER");
        assertThatThrownBy(() -> zooKeeper().zooKeeperTls(true).zooKeeperAuth("a:b", "x").spec())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without ':'");
        ClusterSpec plain = zooKeeper().spec();
        ClusterSpec secure = zooKeeper().zooKeeperTls(true).zooKeeperAuth("reader", "s3cret").spec();
        assertThat(secure).as("a secured ZooKeeper is another cluster").isNotEqualTo(plain);
        assertThat(secure.toString()).contains("ZooKeeper (TLS, digest user reader)").doesNotContain("s3cret");
    }
}
