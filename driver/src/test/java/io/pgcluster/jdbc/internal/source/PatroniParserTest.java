package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PatroniParserTest {
    private final PatroniParser parser = new PatroniParser("demo");

    @Test
    void parsesRealEtcdKeysOfPatroni3() {
        Topology t = parser.fromDcs(ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/"));

        assertThat(t.leader().name()).isEqualTo("pg3");
        assertThat(t.leader().role()).isEqualTo(Role.PRIMARY); // Patroni 3 writes "master"
        assertThat(t.leader().address()).isEqualTo("127.0.0.1:5443");
        assertThat(t.replicas()).extracting(Member::name).containsExactly("pg1", "pg2");
        assertThat(t.replicas()).allSatisfy(m -> {
            assertThat(m.lagBytes()).isZero();
            assertThat(m.timeline()).isEqualTo(1);
            assertThat(m.walPosition()).isEqualTo(67108864L);
            assertThat(m.apiUrl()).startsWith("http://127.0.0.1:80");
        });
        assertThat(t.member("pg1").port()).isEqualTo(5441);
        assertThat(t.paused()).isFalse();
        assertThat(t.pendingSwitchover()).isNull();
        assertThat(t.syncStandbys()).isEmpty();
    }

    @Test
    void readsTheSystemIdentifierFromTheInitializeKey() {
        Topology t = parser.fromDcs(ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/"));
        assertThat(t.systemIdentifier()).isEqualTo("7712170689529606542");

        Map<String, String> keys = new HashMap<>(ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/"));
        keys.remove("initialize"); // between patronictl remove and a new bootstrap
        assertThat(parser.fromDcs(keys).systemIdentifier()).isNull();
        keys.put("initialize", "not-a-number");
        assertThat(parser.fromDcs(keys).systemIdentifier()).as("garbage is not a new cluster").isNull();
    }

    @Test
    void parsesSyncModeTagsAndAnEmptyFailoverKey() {
        Topology t = parser.fromDcs(ReferenceData.dcsKeys("dcs-keys-etcd3-syncmode.txt", "/service/demo/"));

        assertThat(t.leader().name()).isEqualTo("pg3");
        assertThat(t.syncStandbys()).containsExactly("pg2");
        assertThat(t.member("pg1").tags()).containsEntry("zone", "z1");
        assertThat(t.member("pg3").timeline()).isEqualTo(16);
        assertThat(t.pendingSwitchover()).as("failover key {} after a switchover").isNull();
        // the captured config value is cut short (malformed JSON): it is skipped, the snapshot is not
        assertThat(t.paused()).isFalse();
        assertThat(t.members()).hasSize(3);
    }

    @Test
    void parsesZooKeeperDump() {
        Topology t = parser.fromDcs(ReferenceData.dcsKeys("dcs-keys-zookeeper.txt", "/service/demozk/"));

        assertThat(t.leader().name()).isEqualTo("zk1");
        assertThat(t.replicas()).extracting(Member::name).containsExactly("zk2");
    }

    @Test
    void parsesRestClusterOfPatroni3() {
        Topology t = parser.fromRest(ReferenceData.restCluster());

        assertThat(t.leader().name()).isEqualTo("pg3");
        assertThat(t.leader().port()).isEqualTo(5443);
        assertThat(t.replicas()).extracting(Member::name).containsExactly("pg1", "pg2");
        assertThat(t.member("pg2").tags()).containsEntry("zone", "z2");
        assertThat(t.member("pg1").lagBytes()).isZero();
    }

    @Test
    void restLagAndUnknownLag() {
        String body = "{\"members\":[{\"name\":\"a\",\"role\":\"leader\",\"state\":\"running\",\"host\":\"h1\","
                + "\"port\":5432},{\"name\":\"b\",\"role\":\"replica\",\"state\":\"streaming\",\"host\":\"h2\","
                + "\"port\":5432,\"lag\":13238840},{\"name\":\"c\",\"role\":\"sync_standby\",\"state\":\"running\","
                + "\"host\":\"h3\",\"port\":5433,\"lag\":\"unknown\"}],\"pause\":true,"
                + "\"scheduled_switchover\":{\"at\":\"2030-01-01T00:00:00\",\"from\":\"a\",\"to\":\"b\"}}";
        Topology t = parser.fromRest(body);

        assertThat(t.member("b").lagBytes()).isEqualTo(13238840L);
        assertThat(t.member("b").isRunning()).as("Patroni 4 reports replicas as streaming").isTrue();
        assertThat(t.member("c").lagBytes()).isEqualTo(-1);
        assertThat(t.syncStandbys()).containsExactly("c");
        assertThat(t.paused()).isTrue();
        assertThat(t.pendingSwitchover()).isEqualTo(new Topology.Switchover("a", "b", "2030-01-01T00:00:00"));
    }

    @Test
    void patroni4RolesMissingXlogAndUnknownFields() {
        Map<String, String> keys = new HashMap<>();
        keys.put("leader", "n1");
        keys.put("status", "{\"optime\": 5000, \"slots\": {}}");
        keys.put("members/n1", "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"role\":\"primary\","
                + "\"state\":\"running\",\"xlog_location\":5000,\"proxy_url\":\"postgres://10.0.0.1:6432/postgres\","
                + "\"some_future_field\":[1,2,{\"x\":null}]}");
        keys.put("members/n2", "{\"conn_url\":\"postgres://10.0.0.2:5432/postgres\",\"role\":\"replica\","
                + "\"state\":\"running\",\"replay_lsn\":\"0/1000\",\"replication_state\":\"streaming\"}");
        keys.put("members/n3", "{\"conn_url\":\"postgres://[fd00::3]:5433/postgres\",\"role\":\"replica\","
                + "\"state\":\"starting\"}");
        keys.put("members/n4", "{\"conn_url\":\"postgres://10.0.0.4:5432/postgres\",\"role\":\"demoted\","
                + "\"state\":\"stopping\",\"tags\":{\"noloadbalance\":true,\"nofailover\":true}}");
        Topology t = parser.fromDcs(keys);

        assertThat(t.leader().name()).isEqualTo("n1");
        assertThat(t.member("n2").walPosition()).isEqualTo(4096);
        assertThat(t.member("n2").lagBytes()).isEqualTo(5000 - 4096);
        assertThat(t.member("n3").host()).isEqualTo("fd00::3");
        assertThat(t.member("n3").lagBytes()).as("no WAL position: lag unknown").isEqualTo(-1);
        assertThat(t.member("n4").role()).isEqualTo(Role.OTHER);
        assertThat(t.member("n4").noLoadBalance()).isTrue();
        assertThat(t.replicas()).extracting(Member::name).as("only running replicas").containsExactly("n2");
    }

    @Test
    void badMemberIsSkippedAndTheRestStays() {
        Map<String, String> keys = ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/");
        keys.put("members/pg2", "{\"conn_url\": ");
        keys.put("members/pg9", "{\"role\":\"replica\",\"state\":\"running\"}");
        Topology t = parser.fromDcs(keys);

        assertThat(t.members()).extracting(Member::name).containsExactly("pg1", "pg3");
        assertThat(t.leader().name()).isEqualTo("pg3");
    }

    @Test
    void leaderKeyWithoutItsMemberMeansNoLeader() {
        Map<String, String> keys = ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/");
        keys.remove("members/pg3");
        assertThat(parser.fromDcs(keys).leader()).isNull();
        keys.remove("leader");
        keys.put("members/pg3", "{\"conn_url\":\"postgres://127.0.0.1:5443/postgres\",\"role\":\"master\","
                + "\"state\":\"running\"}");
        Topology t = parser.fromDcs(keys);
        assertThat(t.leader()).as("a member claiming master without the key is not the leader").isNull();
        assertThat(t.replicas()).extracting(Member::name).containsExactly("pg1", "pg2");
    }

    @Test
    void pendingSwitchoverAndPause() {
        Map<String, String> keys = ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/");
        keys.put("failover", "{\"leader\": \"pg3\", \"member\": \"pg1\"}");
        keys.put("config", "{\"ttl\":30,\"pause\":true}");
        Topology t = parser.fromDcs(keys);
        assertThat(t.pendingSwitchover()).isEqualTo(new Topology.Switchover("pg3", "pg1", null));
        assertThat(t.paused()).isTrue();
    }

    @Test
    void restWithoutMembersIsAnError() {
        assertThatThrownBy(() -> parser.fromRest("{\"error\":\"x\"}")).hasMessageContaining("members");
    }

    @Test
    void lsnParsing() {
        assertThat(PatroniParser.lsn("16/B374D848")).isEqualTo(0x16B374D848L);
        assertThat(PatroniParser.lsn("0/0")).isZero();
        assertThat(PatroniParser.lsn("garbage")).isEqualTo(-1);
        assertThat(PatroniParser.lsn(null)).isEqualTo(-1);
    }

    @Test
    void aRestHostCarryingUrlSyntaxIsRefusedWithOneWarnNamingTheMember() throws Exception {
        String body = "{\"members\":[{\"name\":\"a\",\"role\":\"leader\",\"state\":\"running\","
                + "\"host\":\"evil.example/orders?sslmode=disable&sslfactory=org.postgresql.ssl.NonValidatingFactory"
                + "&x=\",\"port\":5432},{\"name\":\"b\",\"role\":\"replica\",\"state\":\"running\","
                + "\"host\":\"10.0.0.2\",\"port\":5432}]}";
        Topology[] t = new Topology[1];
        String log = CapturedLog.during(() -> {
            t[0] = parser.fromRest(body);
            parser.fromRest(body);
        });

        assertThat(t[0].members()).extracting(Member::name).containsExactly("b");
        assertThat(t[0].leader()).as("the refused member cannot be the leader").isNull();
        assertThat(log.lines().filter(l -> l.contains("WARN"))).singleElement().asString()
                .contains("'/cluster member a'").contains("not allowed in a host name");
    }

    @Test
    void dcsMembersWithMalformedAddressesAreLeftOut() {
        Map<String, String> keys = new HashMap<>();
        keys.put("leader", "ok");
        keys.put("members/ok", "{\"conn_url\":\"postgres://[fd00::1]:5432/postgres\",\"role\":\"master\","
                + "\"state\":\"running\"}");
        keys.put("members/port", "{\"conn_url\":\"postgres://10.0.0.2:70000/postgres\",\"role\":\"replica\"}");
        keys.put("members/v4", "{\"conn_url\":\"postgres://300.1.1.1:5432/postgres\",\"role\":\"replica\"}");
        keys.put("members/comma", "{\"host\":\"a,b\",\"port\":5432,\"role\":\"replica\"}");
        keys.put("members/restport", "{\"host\":\"h\",\"port\":\"5432&sslmode=disable\",\"role\":\"replica\"}");
        keys.put("members/v6", "{\"host\":\"[fd00::zz]\",\"port\":5432,\"role\":\"replica\"}");

        Topology t = parser.fromDcs(keys);

        assertThat(t.members()).extracting(Member::name).containsExactly("ok");
        assertThat(t.leader().host()).isEqualTo("fd00::1");
    }

    @Test
    void membersOutsideTheAllowListAreLeftOutWithAWarnNamingTheKey() throws Exception {
        PatroniParser strict = new PatroniParser("demo", AllowedHosts.parse("10.0.0.0/24, db.example.com, fd00::/16"));
        Map<String, String> keys = new HashMap<>();
        keys.put("leader", "in");
        keys.put("members/in", "{\"conn_url\":\"postgres://10.0.0.7:5432/postgres\",\"role\":\"master\"}");
        keys.put("members/name", "{\"conn_url\":\"postgres://DB.example.com.:5432/postgres\",\"role\":\"replica\"}");
        keys.put("members/v6", "{\"conn_url\":\"postgres://[fd00:1::9]:5432/postgres\",\"role\":\"replica\"}");
        keys.put("members/out", "{\"conn_url\":\"postgres://10.0.1.7:5432/postgres\",\"role\":\"replica\"}");
        keys.put("members/other", "{\"conn_url\":\"postgres://attacker.example:5432/postgres\",\"role\":\"replica\"}");
        Topology[] t = new Topology[1];

        String log = CapturedLog.during(() -> t[0] = strict.fromDcs(keys));

        assertThat(t[0].members()).extracting(Member::name).containsExactlyInAnyOrder("in", "name", "v6");
        assertThat(log).contains("'members/out'").contains("'members/other'").contains("allowedHosts");
        assertThat(log.lines().filter(l -> l.contains("WARN")).count()).isEqualTo(2);
    }

    @Test
    void aSnapshotTakesAtMostMaxMembersAndWarnsOnce() throws Exception {
        Map<String, String> keys = new HashMap<>();
        for (int i = 0; i < PatroniParser.MAX_MEMBERS * 40; i++) {
            keys.put("members/m" + i, "{\"conn_url\":\"postgres://10.0." + (i / 250) % 250 + "." + i % 250
                    + ":5432/postgres\",\"role\":\"replica\",\"state\":\"running\"}");
        }
        Topology[] t = new Topology[2];

        String log = CapturedLog.during(() -> {
            t[0] = parser.fromDcs(keys);
            t[1] = parser.fromDcs(keys);
        });

        assertThat(t[0].members()).hasSize(PatroniParser.MAX_MEMBERS);
        assertThat(t[1].members()).hasSize(PatroniParser.MAX_MEMBERS);
        assertThat(log.lines().filter(l -> l.contains("WARN"))).singleElement().asString()
                .contains(Integer.toString(PatroniParser.MAX_MEMBERS * 40)).contains("only the first 256");

        StringBuilder body = new StringBuilder("{\"members\":[");
        for (int i = 0; i < 1000; i++) {
            body.append(i == 0 ? "" : ",").append("{\"name\":\"r").append(i)
                    .append("\",\"host\":\"h").append(i).append("\",\"role\":\"replica\",\"state\":\"running\"}");
        }
        assertThat(parser.fromRest(body.append("]}").toString()).members()).hasSize(PatroniParser.MAX_MEMBERS);
    }

    @Test
    void warnsMaskPasswords() throws Exception {
        Map<String, String> keys = new HashMap<>();
        keys.put("members/a", "{\"conn_url\":\"postgres://app:Hunter2-secret@bad host:5432/postgres\"}");
        keys.put("members/b", "{\"conn_url\":\"postgres://app:Hunter2-secret@10.0.0.1:99999/postgres\"}");
        keys.put("members/c", "{\"password\": \"Hunter2 secret\", \"conn_url\": ");
        keys.put("members/d", "{\"host\":\"x/y?password=Hunter2-secret\",\"port\":1}");

        String log = CapturedLog.during(() -> parser.fromDcs(keys));

        assertThat(log).contains("'members/a'").contains("'members/b'").contains("'members/c'")
                .contains("'members/d'").doesNotContain("Hunter2").contains("****");
    }

    @Test
    void maskCoversUserinfoAndSecretFields() {
        assertThat(PatroniParser.mask("conn_url=postgres://u:p%40ss/w@h:5432/db, x=1"))
                .isEqualTo("conn_url=postgres://****@h:5432/db, x=1");
        assertThat(PatroniParser.mask("{\"db_password\" : \"a \\\" b\", \"k\": 1}"))
                .isEqualTo("{\"db_password\" : \"****\", \"k\": 1}");
        assertThat(PatroniParser.mask("x?sslpassword=abc&y=1")).isEqualTo("x?sslpassword=****&y=1");
    }

    @Test
    void proxyUrlGivesEachMemberItsPoolerAddressFromTheDcsAndRest() {
        Map<String, String> keys = new HashMap<>();
        keys.put("leader", "n1");
        keys.put("members/n1", "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"role\":\"primary\","
                + "\"state\":\"running\",\"proxy_url\":\"postgres://10.0.0.1:6432/postgres\"}");
        keys.put("members/n2", "{\"conn_url\":\"postgres://10.0.0.2:5432/postgres\",\"role\":\"replica\","
                + "\"state\":\"running\",\"proxy_url\":\"postgres://[fd00::2]/postgres\"}");
        keys.put("members/n3", "{\"conn_url\":\"postgres://10.0.0.3:5432/postgres\",\"role\":\"replica\","
                + "\"state\":\"running\"}");

        Topology t = parser.fromDcs(keys);

        assertThat(t.member("n1").proxyHost()).isEqualTo("10.0.0.1");
        assertThat(t.member("n1").proxyPort()).isEqualTo(6432);
        assertThat(t.member("n1").port()).as("the PostgreSQL address stays").isEqualTo(5432);
        assertThat(t.member("n2").proxyHost()).isEqualTo("fd00::2");
        assertThat(t.member("n2").proxyPort()).as("no port: PostgreSQL's default, as for conn_url").isEqualTo(5432);
        assertThat(t.member("n3").hasProxy()).isFalse();
        assertThat(t.member("n3").proxyPort()).isEqualTo(-1);

        Topology rest = parser.fromRest("{\"members\":[{\"name\":\"a\",\"role\":\"leader\",\"state\":\"running\","
                + "\"host\":\"10.0.0.1\",\"port\":5432,\"proxy_url\":\"postgres://10.0.0.1:6432/postgres\"}]}");
        assertThat(rest.member("a").proxyPort()).isEqualTo(6432);
    }

    @Test
    void aBadProxyUrlIsIgnoredWithOneWarnAndTheMemberStays() throws Exception {
        PatroniParser strict = new PatroniParser("demo", AllowedHosts.parse("10.0.0.0/8"));
        Map<String, String> keys = new HashMap<>();
        keys.put("leader", "n1");
        keys.put("members/n1", "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"role\":\"primary\","
                + "\"state\":\"running\",\"proxy_url\":\"postgres://192.168.1.1:6432/postgres\"}");
        keys.put("members/n2", "{\"conn_url\":\"postgres://10.0.0.2:5432/postgres\",\"role\":\"replica\","
                + "\"state\":\"running\",\"proxy_url\":\"postgres://10.0.0.2:99999/postgres\"}");
        Topology[] t = new Topology[1];
        String log = CapturedLog.during(() -> {
            t[0] = strict.fromDcs(keys);
            strict.fromDcs(keys);
        });

        assertThat(t[0].members()).extracting(Member::name).containsExactlyInAnyOrder("n1", "n2");
        assertThat(t[0].members()).noneMatch(Member::hasProxy);
        assertThat(log.lines().filter(l -> l.contains("WARN"))).hasSize(2)
                .anySatisfy(l -> assertThat(l).contains("members/n1").contains("not in allowedHosts"))
                .anySatisfy(l -> assertThat(l).contains("members/n2").contains("pooler"));
    }

    @Test
    void aChangedProxyUrlMakesAnotherServerForThePools() {
        Member direct = new Member("n1", "10.0.0.1", 5432, Role.PRIMARY, "running", 1, 0, 0, Map.of(), null);
        Member pooled = new Member("n1", "10.0.0.1", 5432, Role.PRIMARY, "running", 1, 0, 0, Map.of(), null,
                "10.0.0.1", 6432);

        assertThat(direct.sameServer(pooled)).isFalse();
        assertThat(pooled.sameServer(new Member("n1", "10.0.0.1", 5432, Role.REPLICA, "running", 1, 0, 0, Map.of(),
                null, "10.0.0.1", 6432))).isTrue();
    }
}
