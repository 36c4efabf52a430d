package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.testkit.Dcs;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static FailoverHarness.Settings parse(String... args) {
        return FailoverHarness.Settings.parse(args);
    }

    @Test
    void etcdAndTheTestKitsPatroniByDefault() {
        FailoverHarness.Settings s = parse();
        assertThat(s.dcs).isEqualTo(Dcs.ETCD);
        assertThat(s.patroni).isZero();
        assertThat(s.toString()).contains("DCS etcd, Patroni (the test kit's default)");
    }

    @Test
    void consulAndPatroni4() {
        FailoverHarness.Settings s = parse("--quick", "--dcs", "consul", "--patroni", "4", "--approaches",
                "pgcluster,pgcluster-jdbc");
        assertThat(s.dcs).isEqualTo(Dcs.CONSUL);
        assertThat(s.patroni).isEqualTo(4);
        assertThat(s.reps).isEqualTo(1);
        assertThat(s.approaches).containsExactly(Approach.PGCLUSTER, Approach.PGCLUSTER_JDBC);
        assertThat(s.toString()).contains("DCS consul, Patroni 4");
        assertThat(parse("--patroni", "3").patroni).isEqualTo(3);
        assertThat(parse("--dcs", "etcd").dcs).isEqualTo(Dcs.ETCD);
    }

    @Test
    void badValuesNameTheOption() {
        assertThatThrownBy(() -> parse("--dcs", "zookeeper")).hasMessage("--dcs must be etcd or consul, was "
                + "'zookeeper'");
        assertThatThrownBy(() -> parse("--patroni", "2")).hasMessage("--patroni must be 3 or 4, was '2'");
        assertThatThrownBy(() -> parse("--dcs")).hasMessage("--dcs needs a value");
        assertThatThrownBy(() -> parse("--bogus")).hasMessageContaining("--dcs etcd|consul, --patroni 3|4");
    }

    @Test
    void pgclusterLabelsNameTheDcsTheOthersDoNot() {
        assertThat(Approach.PGCLUSTER.label(Dcs.CONSUL)).isEqualTo("pgcluster (consul), inTransaction");
        assertThat(Approach.PGCLUSTER_JDBC.label(Dcs.ETCD)).isEqualTo(Approach.PGCLUSTER_JDBC.label);
        assertThat(Approach.HAPROXY_TIGHT.label(Dcs.CONSUL)).isEqualTo(Approach.HAPROXY_TIGHT.label);
        String md = new FailoverReport(List.of(EventResult.failedEvent(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1,
                "pg1", "boom")), new EnumMap<>(Approach.class), Map.of(), Dcs.CONSUL).markdown();
        assertThat(md).contains("pgcluster (consul), inTransaction").doesNotContain("(etcd)");
    }

    @Test
    void consulKeysHaveNoLeadingSlash() {
        assertThat(LeaderWatch.consulKeyUri("http://127.0.0.1:8500", "service/s/leader"))
                .hasToString("http://127.0.0.1:8500/v1/kv/service/s/leader?raw");
        assertThat(LeaderWatch.consulKeyUri("http://127.0.0.1:8500", "/service/s/leader"))
                .hasToString("http://127.0.0.1:8500/v1/kv/service/s/leader?raw");
    }
}
