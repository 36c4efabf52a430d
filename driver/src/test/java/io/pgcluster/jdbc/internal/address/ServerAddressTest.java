package io.pgcluster.jdbc.internal.address;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerAddressTest {

    @Test
    void acceptsNamesAndIpLiterals() {
        for (String ok : new String[] {"localhost", "db-1.example.com", "db.example.com.", "pg_node1", "10.0.0.5",
                "::1", "[::1]", "fd00::3", "2001:db8:0:0:1:0:0:1", "::ffff:10.0.0.1", "fe80::1%eth0", "1::",
                "a".repeat(63) + ".example"}) {
            assertThat(ServerAddress.checkHost(ok)).as(ok).isNull();
        }
    }

    @Test
    void refusesAnythingThatIsNotOneHost() {
        for (String bad : new String[] {"", "evil.example/orders?sslmode=disable&x=", "a,b", "h:5432", "h 1",
                "h\n1", "user@h", "[h]", "[::1", "::1]", "999.1.1.1", "127.1", "1.2.3.4.5", "010.0.0.1", "-h",
                "h-.example", "a..b", ".", "1:2:3:4:5:6:7:8:9", "1::2::3", "::g", "fe80::1%", "fe80::1%a/b",
                "a".repeat(64) + ".example", "x".repeat(300), "h\u0661", "\u0661.\u0662.\u0663.\u0664", "12345::1"}) {
            assertThat(ServerAddress.checkHost(bad)).as(bad).isNotNull();
        }
        assertThat(ServerAddress.checkHost(null)).isNotNull();
    }

    @Test
    void portRange() {
        assertThat(ServerAddress.checkPort(1)).isNull();
        assertThat(ServerAddress.checkPort(65535)).isNull();
        assertThat(ServerAddress.checkPort(0)).contains("out of range");
        assertThat(ServerAddress.checkPort(65536)).contains("out of range");
        assertThat(ServerAddress.checkPort(-1)).contains("out of range");
    }

    @Test
    void ipLiteralBytes() {
        assertThat(ServerAddress.ipLiteral("10.1.2.3")).containsExactly(10, 1, 2, 3);
        assertThat(ServerAddress.ipLiteral("[::1]")).hasSize(16).endsWith(0, 1);
        assertThat(ServerAddress.ipLiteral("0:0::1")).isEqualTo(ServerAddress.ipLiteral("::1"));
        assertThat(ServerAddress.ipLiteral("::ffff:1.2.3.4")).endsWith((byte) 0xff, (byte) 0xff, 1, 2, 3, 4);
        assertThat(ServerAddress.ipLiteral("db.example")).isNull();
    }
}
