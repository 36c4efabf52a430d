package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClusterViewTest {
    // GET /cluster of Patroni 3.0.2 (reference/rest-1.txt), with a lagging member and a paused cluster.
    private static final String JSON = "{\"members\": [{\"name\": \"pg1\", \"role\": \"replica\", \"state\": "
            + "\"running\", \"api_url\": \"http://127.0.0.1:8008/patroni\", \"host\": \"127.0.0.1\", \"port\": 5441, "
            + "\"timeline\": 1, \"tags\": {\"zone\": \"z1\"}, \"lag\": 0}, {\"name\": \"pg2\", \"role\": \"sync_standby\","
            + " \"state\": \"running\", \"host\": \"127.0.0.1\", \"port\": 5442, \"timeline\": 1, \"lag\": 13238840}, "
            + "{\"name\": \"pg3\", \"role\": \"leader\", \"state\": \"running\", \"host\": \"127.0.0.1\", \"port\": 5443, "
            + "\"timeline\": 1}, {\"name\": \"pg4\", \"role\": \"replica\", \"state\": \"creating replica\", "
            + "\"lag\": \"unknown\"}], \"pause\": true}";

    @Test
    void findsLeaderReplicasAndLag() {
        ClusterView v = ClusterView.parse(JSON);
        assertThat(v.paused).isTrue();
        assertThat(v.names()).containsExactly("pg1", "pg2", "pg3", "pg4");
        assertThat(v.leader().name).isEqualTo("pg3");
        assertThat(v.member("pg2").isReplica()).isTrue();
        assertThat(v.member("pg2").isSyncStandby()).isTrue();
        assertThat(v.member("pg1").isSyncStandby()).isFalse();
        assertThat(v.member("pg2").lag).isEqualTo(13238840L);
        assertThat(v.member("pg3").lag).isNull();
        assertThat(v.member("pg4").lag).isNull();
        assertThat(v.member("pg4").isUp()).isFalse();
        assertThat(v.member("pg1").port).isEqualTo(5441);
        assertThat(v.member("pg4").port).isEqualTo(-1);
    }

    @Test
    void acceptsPatroni3And4RoleNames() {
        assertThat(ClusterView.parse("{\"members\":[{\"name\":\"a\",\"role\":\"master\",\"state\":\"running\"}]}")
                .leader().name).isEqualTo("a");
        ClusterView v4 = ClusterView.parse("{\"members\":[{\"name\":\"a\",\"role\":\"primary\",\"state\":\"running\"},"
                + "{\"name\":\"b\",\"role\":\"replica\",\"state\":\"streaming\"}]}");
        assertThat(v4.leader().name).isEqualTo("a");
        assertThat(v4.member("b").isUp()).isTrue();
        assertThat(ClusterView.parse("{\"members\":[{\"name\":\"s\",\"role\":\"standby_leader\",\"state\":"
                + "\"running\"}]}").leader().name).isEqualTo("s");
        assertThat(ClusterView.parse("{\"members\":[{\"name\":\"d\",\"role\":\"demoted\",\"state\":"
                + "\"running\"}]}").leader()).isNull();
        assertThat(ClusterView.parse("{\"members\":[]}").leader()).isNull();
        assertThat(ClusterView.parse("{\"members\":[]}").paused).isFalse();
    }
}
