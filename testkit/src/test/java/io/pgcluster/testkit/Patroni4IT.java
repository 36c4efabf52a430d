package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A cluster of its own on Patroni 4 (Debian 13's package, unpacked by scripts/setup.sh, run with Debian 12's Python)
 * with etcd: it comes up healthy, the primary's member key says {@code primary} (Patroni 3 says {@code master}) and the
 * kit reads it as the leader, a switchover moves the leader, and patronictl 4 lists the cluster; and Patroni 4 on Consul
 * (2 nodes) writes role {@code primary} and switches over.
 */
@Order(12)
class Patroni4IT {

    @Test
    void patroni4ClusterComesUpAndSwitchesOver() throws Exception {
        try (PatroniCluster c = PatroniCluster.builder().scope("patroni4").patroniVersion(4).start()) {
            System.out.printf("bring-up of 3 nodes (etcd + Patroni 4 + PostgreSQL 15): %d ms%n",
                    c.bringUpTime().toMillis());
            assertThat(c.patroniVersion()).isEqualTo(4);
            PatroniNode leader = c.leader();
            Map<String, Object> status = Json.parseObject(new PatroniRest().get(leader.restUrl() + "/patroni",
                    Duration.ofSeconds(5)).body);
            assertThat(status).containsEntry("role", "primary");
            assertThat(String.valueOf(((Map<?, ?>) status.get("patroni")).get("version"))).startsWith("4.");
            String member = c.etcd().etcdctl(List.of("get", "--print-value-only",
                    c.namespace() + "/" + c.scope() + "/members/" + leader.name()), false);
            assertThat(member).contains("\"role\":\"primary\"");
            assertThat(c.replicas()).hasSize(2);

            PatroniNode next = c.switchover();
            assertThat(next).isNotEqualTo(leader);
            assertThat(c.leader()).isEqualTo(next);
            assertThat(c.etcd().etcdctl(List.of("get", "--print-value-only",
                    c.namespace() + "/" + c.scope() + "/leader"), false)).isEqualTo(next.name());
            c.awaitHealthy(Duration.ofMinutes(2)); // the old primary streams from the new one

            assertThat(patronictl(c, "list")).contains(next.name(), "Leader");
            assertThat(patronictl(c, "version")).contains("patronictl version 4.");
        }
    }

    @Test
    void patroni4RunsOnConsul() throws Exception {
        try (PatroniCluster c = PatroniCluster.builder().scope("patroni4-consul").dcs(Dcs.CONSUL).patroniVersion(4)
                .nodes(2).start()) {
            PatroniNode leader = c.leader();
            Map<String, Map<String, Object>> keys = ConsulDcsIT.kv(PatroniRest.consul(null, null), c.consul());
            assertThat((String) keys.get(c.consul().keyPrefix() + "members/" + leader.name()).get("Value"))
                    .contains("\"role\":\"primary\"");
            PatroniNode next = c.switchover();
            assertThat(next).isNotEqualTo(leader);
            assertThat((String) ConsulDcsIT.kv(PatroniRest.consul(null, null), c.consul())
                    .get(c.consul().keyPrefix() + "leader").get("Value")).isEqualTo(next.name());
        }
    }

    /** A command of Patroni 4's patronictl, run as rig.env prints it. */
    private static String patronictl(PatroniCluster c, String subcommand) throws Exception {
        List<String> pg1 = c.node("pg1").patroni().command();
        List<String> command = new ArrayList<>(List.of("env",
                "PYTHONPATH=" + Setting.PATRONI4_ROOT.executable().resolve("usr/lib/python3/dist-packages"),
                Setting.PYTHON.value(), "-c", "from patroni.ctl import ctl; ctl()", "-c", pg1.get(pg1.size() - 1),
                subcommand));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("patronictl: %s", out).isZero();
        return out;
    }
}
