package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LeaderWatchTest {

    @Test
    void readsTheValueOfARangeAnswer() {
        // what etcd 3.4's JSON gateway answers for /service/pgcluster-test/leader = "pg2"
        String json = "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"57\",\"raft_term\":\"2\"},"
                + "\"kvs\":[{\"key\":\"L3NlcnZpY2UvcGdjbHVzdGVyLXRlc3QvbGVhZGVy\",\"create_revision\":\"9\","
                + "\"mod_revision\":\"9\",\"version\":\"1\",\"value\":\"cGcy\",\"lease\":\"7587\"}],\"count\":\"1\"}";
        assertThat(LeaderWatch.parseValue(json)).isEqualTo("pg2");
    }

    @Test
    void noKeyIsNull() {
        assertThat(LeaderWatch.parseValue("{\"header\":{\"revision\":\"60\"}}")).isNull();
    }
}
