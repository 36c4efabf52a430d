package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Clusters of their own with a Consul agent as Patroni's DCS, on Patroni 3 (Debian 12's, with python3-consul): the
 * keys are where Patroni documents them (no leading slash, leader and members bound to a session), a switchover moves
 * the leader key, an agent restart (dev mode: empty KV) is survived and followed by a working switchover, and with ACLs
 * and TLS the client token reads but cannot write while no token or an unknown one is refused.
 */
@Order(11)
class ConsulDcsIT {

    @Test
    void consulBackedClusterSwitchesOverAndSurvivesAnAgentRestart() throws Exception {
        PatroniCluster c = PatroniCluster.builder().scope("consul-lifecycle").dcs(Dcs.CONSUL).patroniVersion(3).start();
        Path dir = c.baseDir();
        List<ProcessHandle> processes;
        try {
            System.out.printf("bring-up of 3 nodes (Consul + Patroni 3 + PostgreSQL 15): %d ms%n",
                    c.bringUpTime().toMillis());
            ConsulServer consul = c.consul();
            assertThat(c.dcs()).isEqualTo(Dcs.CONSUL);
            assertThat(consul.isRunning()).isTrue();
            assertThat(consul.url()).isEqualTo("http://" + c.consulClientAddress());
            assertThat(consul.keyPrefix()).isEqualTo("service/consul-lifecycle/");
            assertThat(Files.readString(c.node("pg1").logFile().resolveSibling("patroni.yml")))
                    .contains("consul:\n  host: " + consul.hostAndPort() + "\n").doesNotContain("etcd3:");
            assertThatThrownBy(consul::clientToken).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("consulAcl(true)");
            assertThatThrownBy(consul::caFile).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::etcd).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("CONSUL");

            PatroniNode leader = c.leader();
            PatroniRest http = PatroniRest.consul(null, null);
            Map<String, Map<String, Object>> keys = kv(http, consul);
            assertThat(keys).containsKeys("service/consul-lifecycle/leader", "service/consul-lifecycle/config",
                    "service/consul-lifecycle/initialize", "service/consul-lifecycle/members/pg1",
                    "service/consul-lifecycle/members/pg2", "service/consul-lifecycle/members/pg3");
            assertThat(value(keys, "leader")).isEqualTo(leader.name());
            assertThat(keys.get("service/consul-lifecycle/leader")).as("bound to Patroni's session")
                    .containsKey("Session");
            assertThat(value(keys, "members/" + leader.name())).contains("\"role\":\"master\"");

            PatroniNode next = c.switchover();
            assertThat(next).isNotEqualTo(leader);
            assertThat(value(kv(http, consul), "leader")).isEqualTo(next.name());
            c.awaitHealthy(Duration.ofMinutes(2));

            // a dev agent keeps its state in memory: after the restart the KV store is empty, Patroni writes it anew
            // and Consul's index starts low again (what a client's blocking query must cope with)
            long indexBefore = ((Number) kv(http, consul).get(consul.keyPrefix() + "leader").get("ModifyIndex"))
                    .longValue();
            consul.stop();
            assertThat(consul.isRunning()).isFalse();
            consul.start();
            Map<String, Map<String, Object>> rewritten = Await.until("Patroni to write its leader key again",
                    Duration.ofSeconds(60), () -> {
                        Map<String, Map<String, Object>> now = kv(http, consul);
                        return now.containsKey(consul.keyPrefix() + "leader") ? now : null;
                    });
            assertThat(((Number) rewritten.get(consul.keyPrefix() + "leader").get("CreateIndex")).longValue())
                    .as("the leader key's index after the restart, before it: %d", indexBefore)
                    .isLessThan(indexBefore);
            c.awaitHealthy(Duration.ofMinutes(2));
            PatroniNode afterRestart = c.leader();
            PatroniNode third = c.switchover();
            assertThat(third).isNotEqualTo(afterRestart);
            assertThat(value(kv(http, consul), "leader")).isEqualTo(third.name());
            processes = c.processes();
            assertThat(processes).anyMatch(p -> p.pid() == consul.process().pid());
        } finally {
            c.close();
        }
        assertThat(Signals.awaitGone(processes, Duration.ofSeconds(1))).as("processes alive after close").isEmpty();
        assertThat(dir).doesNotExist();
    }

    @Test
    void consulWithAclsAndTlsGivesPatroniAWriteTokenAndClientsARestrictedOne() throws Exception {
        try (PatroniCluster c = PatroniCluster.builder().scope("consul-secure").dcs(Dcs.CONSUL).consulAcl(true)
                .consulTls(true).patroniVersion(3).nodes(2).start()) {
            ConsulServer consul = c.consul();
            assertThat(consul.url()).startsWith("https://127.0.0.1:");
            assertThat(consul.tls()).isTrue();
            assertThat(consul.acl()).isTrue();
            assertThat(consul.toString()).doesNotContain(consul.clientToken(), consul.managementToken());
            assertThat(Files.readString(c.node("pg1").logFile().resolveSibling("patroni.yml")))
                    .contains("  scheme: https\n", "  cacert: '" + consul.caFile() + "'\n",
                            "  token: '" + consul.patroniToken() + "'\n");
            assertThat(Files.readString(consul.caFile())).startsWith("-----BEGIN CERTIFICATE-----");

            PatroniRest client = PatroniRest.consul(consul.caFile(), consul.clientToken());
            Map<String, Map<String, Object>> keys = kv(client, consul);
            assertThat(value(keys, "leader")).isEqualTo(c.leader().name());

            String prefix = consul.url() + "/v1/kv/" + consul.keyPrefix() + "?recurse";
            assertThat(PatroniRest.consul(consul.caFile(), null).get(prefix, Duration.ofSeconds(5)).status)
                    .as("no token: default deny hides the keys").isEqualTo(404);
            PatroniRest.Response unknown = PatroniRest.consul(consul.caFile(), "00000000-0000-0000-0000-000000000000")
                    .get(prefix, Duration.ofSeconds(5));
            assertThat(unknown.status).isEqualTo(403);
            assertThat(unknown.body).contains("ACL not found");
            PatroniRest.Response write = client.send("PUT", consul.url() + "/v1/kv/" + consul.keyPrefix() + "leader",
                    "pg9", Duration.ofSeconds(5));
            assertThat(write.status).as("the client token only reads").isEqualTo(403);
            assertThat(value(kv(client, consul), "leader")).isEqualTo(c.leader().name());
            int plain;
            try {
                plain = PatroniRest.consul(null, consul.clientToken()).get("http://" + consul.hostAndPort() + "/v1/kv/"
                        + consul.keyPrefix() + "leader", Duration.ofSeconds(5)).status;
            } catch (java.io.IOException e) {
                plain = -1; // refused outright
            }
            assertThat(plain / 100).as("plain http on the https port: %d", plain).isNotEqualTo(2);

            // the tokens are created again after a restart of the dev agent
            consul.stop();
            consul.start();
            c.awaitHealthy(Duration.ofMinutes(2));
            Await.until("Patroni to write its leader key again with its token", Duration.ofSeconds(60),
                    () -> kv(client, consul).containsKey(consul.keyPrefix() + "leader") ? Boolean.TRUE : null);
        }
    }

    /** Patroni's keys under the cluster's prefix, by key, each with Consul's fields (Value base64-decoded). */
    static Map<String, Map<String, Object>> kv(PatroniRest http, ConsulServer consul) throws Exception {
        PatroniRest.Response r = http.get(consul.url() + "/v1/kv/" + consul.keyPrefix() + "?recurse",
                Duration.ofSeconds(5));
        Map<String, Map<String, Object>> keys = new TreeMap<>();
        if (r.status == 404) {
            return keys;
        }
        assertThat(r.ok()).as("GET /v1/kv: %s", r).isTrue();
        for (Object o : (List<?>) Json.parse(r.body)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> entry = new TreeMap<>((Map<String, Object>) o);
            Object v = entry.get("Value");
            entry.put("Value", v == null ? "" : new String(Base64.getDecoder().decode((String) v),
                    StandardCharsets.UTF_8));
            keys.put((String) entry.get("Key"), entry);
        }
        return keys;
    }

    private static String value(Map<String, Map<String, Object>> keys, String relative) {
        String key = keys.keySet().stream().filter(k -> k.endsWith("/" + relative)).findFirst()
                .orElseThrow(() -> new AssertionError("no key */" + relative + " in " + keys.keySet()));
        return (String) keys.get(key).get("Value");
    }
}
