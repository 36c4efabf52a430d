package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rig's etcd TLS/auth option as rendered into etcd's command line and Patroni's etcd3 section. */
class EtcdSecurityTest {

    @Test
    void plainEtcdHasNoSecurity(@TempDir Path dir) {
        ClusterSpec spec = PatroniCluster.builder().spec();
        assertThat(EtcdSecurity.of(spec, dir)).isNull();
        assertThat(Configs.etcd3Security(null)).isEmpty();
        assertThat(Configs.etcdCommand(Path.of("/usr/bin/etcd"), "demo", Path.of("/d"), 2379, 2380, null))
                .contains("http://127.0.0.1:2379").doesNotContain("--client-cert-auth");
    }

    @Test
    void tlsAndAuthReachEtcdAndPatroni(@TempDir Path dir) {
        ClusterSpec spec = PatroniCluster.builder().etcdTls(true).etcdAuth(true).spec();
        assertThat(spec).isNotEqualTo(PatroniCluster.builder().spec());
        assertThat(spec.toString()).contains("etcd (TLS) (auth)");
        EtcdSecurity s = EtcdSecurity.of(spec, dir);

        List<String> cmd = Configs.etcdCommand(Path.of("/usr/bin/etcd"), "demo", Path.of("/d"), 2379, 2380, s);
        assertThat(cmd).contains("https://127.0.0.1:2379", "--client-cert-auth", s.ca.caFile().toString(),
                s.server.cert().toString(), s.server.key().toString());
        assertThat(String.join(" ", cmd)).contains("--listen-peer-urls http://127.0.0.1:2380");

        String y = Configs.etcd3Security(s);
        assertThat(y).contains("protocol: https", "cacert: '" + s.ca.caFile() + "'",
                "cert: '" + s.patroni.cert() + "'", "key: '" + s.patroni.key() + "'", "username: patroni",
                "password: '" + s.patroniPassword + "'", "use_proxies: true");
        assertThat(s.enableAuthCommands("/service/")).last().isEqualTo(List.of("auth", "enable"));
        assertThat(s.enableAuthCommands("/service/")).contains(
                List.of("role", "grant-permission", "pgcluster", "--prefix=true", "read", "/service/"));
        assertThat(s.toString()).doesNotContain(s.rootPassword).doesNotContain(s.clientPassword);
    }

    @Test
    void authWithoutTlsSendsNoTlsOptions(@TempDir Path dir) {
        EtcdSecurity s = EtcdSecurity.of(PatroniCluster.builder().etcdAuth(true).spec(), dir);
        assertThat(s.etcdOptions()).isEmpty();
        assertThat(Configs.etcd3Security(s)).contains("username: patroni").doesNotContain("protocol", "cacert");
    }

    @Test
    void etcdSecurityNeedsEtcd() {
        assertThatThrownBy(() -> PatroniCluster.builder().dcs(Dcs.ZOOKEEPER).etcdTls(true).spec())
                .hasMessageContaining("etcdTls and etcdAuth need dcs ETCD");
    }
}
