package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingTest {
    @Test
    void propertyWinsOverEnvironmentWhichWinsOverDefault() {
        Map<String, String> props = Map.of("pgcluster.testkit.etcd", "/opt/etcd");
        Map<String, String> env = Map.of("PGCLUSTER_ETCD", "/env/etcd", "PGCLUSTER_HAPROXY", "/env/haproxy");
        assertThat(Setting.ETCD.value(props::get, env::get)).isEqualTo("/opt/etcd");
        assertThat(Setting.HAPROXY.value(props::get, env::get)).isEqualTo("/env/haproxy");
        assertThat(Setting.PGBOUNCER.value(props::get, env::get)).isEqualTo("/usr/sbin/pgbouncer");
        assertThat(Setting.PG_BIN_DIR.value(k -> "  ", k -> null)).isEqualTo("/usr/lib/postgresql/15/bin");
    }

    @Test
    void debianDefaults() {
        assertThat(Setting.PYTHON.defaultValue()).isEqualTo("/usr/bin/python3");
        assertThat(Setting.PATRONI.defaultValue()).isEqualTo("/usr/bin/patroni");
        assertThat(Setting.PATRONICTL.defaultValue()).isEqualTo("/usr/bin/patronictl");
        assertThat(Setting.RUN_AS_USER.defaultValue()).isEqualTo("postgres");
    }

    @Test
    void missingBinaryNamesTheOverride() {
        String old = System.getProperty("pgcluster.testkit.haproxy");
        System.setProperty("pgcluster.testkit.haproxy", "/nonexistent/haproxy");
        try {
            assertThatThrownBy(Setting.HAPROXY::executable).isInstanceOf(TestkitException.class)
                    .hasMessageContaining("/nonexistent/haproxy")
                    .hasMessageContaining("-Dpgcluster.testkit.haproxy=")
                    .hasMessageContaining("PGCLUSTER_HAPROXY=");
        } finally {
            if (old == null) {
                System.clearProperty("pgcluster.testkit.haproxy");
            } else {
                System.setProperty("pgcluster.testkit.haproxy", old);
            }
        }
    }
}
