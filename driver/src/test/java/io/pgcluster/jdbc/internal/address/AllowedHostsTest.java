package io.pgcluster.jdbc.internal.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import org.junit.jupiter.api.Test;

class AllowedHostsTest {

    @Test
    void namesAddressesAndBlocks() {
        AllowedHosts a = AllowedHosts.parse("db.example.com, 10.0.0.0/8,192.168.1.5, fd00::/8, ::1");

        assertThat(a.permits("DB.Example.com.")).isTrue();
        assertThat(a.permits("other.example.com")).isFalse();
        assertThat(a.permits("10.255.0.1")).isTrue();
        assertThat(a.permits("11.0.0.1")).isFalse();
        assertThat(a.permits("192.168.1.5")).isTrue();
        assertThat(a.permits("192.168.1.6")).isFalse();
        assertThat(a.permits("fdab::1")).isTrue();
        assertThat(a.permits("fe80::1")).isFalse();
        assertThat(a.permits("0:0:0:0:0:0:0:1")).isTrue();
        assertThat(a.permits("::ffff:10.1.1.1")).as("IPv4-mapped IPv6 is the IPv4 address").isTrue();
        assertThat(a.permits("10.0.0.1.example")).as("a name is not matched against blocks").isFalse();
        assertThat(a.allowsAny()).isFalse();
    }

    @Test
    void oddPrefixLengths() {
        AllowedHosts a = AllowedHosts.parse("10.0.0.128/25,0.0.0.0/0");
        assertThat(a.permits("1.2.3.4")).isTrue();
        AllowedHosts b = AllowedHosts.parse("10.0.0.128/25");
        assertThat(b.permits("10.0.0.200")).isTrue();
        assertThat(b.permits("10.0.0.127")).isFalse();
        assertThat(b.permits("::ffff:10.0.0.127")).isFalse();
    }

    @Test
    void noListAllowsAnyHost() {
        assertThat(AllowedHosts.parse(null).permits("anything.example")).isTrue();
        assertThat(AllowedHosts.parse("  ").allowsAny()).isTrue();
    }

    @Test
    void badEntriesAreNamed() {
        assertThatThrownBy(() -> PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo").database("app")
                .set("allowedHosts", "10.0.0.0/33").build()).isInstanceOf(PgClusterConfigException.class)
                .hasMessageContaining("allowedHosts").hasMessageContaining("'10.0.0.0/33'")
                .hasMessageContaining("0..32");
        assertThatThrownBy(() -> AllowedHosts.parse("db.example/8")).hasMessageContaining("'db.example/8'")
                .hasMessageContaining("IP address before '/'");
        assertThatThrownBy(() -> AllowedHosts.parse("a,,b")).hasMessageContaining("empty entry");
        assertThatThrownBy(() -> AllowedHosts.parse("fd00::/129")).hasMessageContaining("0..128");
        assertThatThrownBy(() -> AllowedHosts.parse("10.0.0.0/x")).hasMessageContaining("prefix length 'x'");
        assertThatThrownBy(() -> AllowedHosts.parse("bad host")).hasMessageContaining("'bad host'")
                .hasMessageContaining("not allowed in a host name");
    }
}
