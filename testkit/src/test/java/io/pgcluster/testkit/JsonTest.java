package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void readsSmallIntegersAsLong() {
        // Callers of dynamicConfig() cast to Long; Jackson's default would give Integer.
        assertThat(Json.parseObject("{\"ttl\": 10}").get("ttl")).isInstanceOf(Long.class);
    }

    @Test
    void parsesPatroniConfig() {
        Map<String, Object> m = Json.parseObject("{\"ttl\": 30, \"loop_wait\": 10, \"maximum_lag_on_failover\": 1048576,"
                + " \"postgresql\": {\"use_pg_rewind\": true, \"parameters\": {\"wal_keep_size\": \"64MB\"}}, \"x\": null,"
                + " \"f\": -1.5e3, \"l\": [1, \"a\", []]}");
        assertThat(m.get("ttl")).isEqualTo(30L);
        assertThat(m.get("postgresql")).isEqualTo(Map.of("use_pg_rewind", true,
                "parameters", Map.of("wal_keep_size", "64MB")));
        assertThat(m).containsEntry("x", null);
        assertThat(m.get("f")).isEqualTo(new BigDecimal("-1.5e3"));
        assertThat(m.get("l")).isEqualTo(List.of(1L, "a", List.of()));
    }

    @Test
    void handlesEscapesAndHugeNumbers() {
        Object v = Json.parse("[\"a\\\"b\\\\c\\n\\u00e9\\/\", 123456789012345678901234567890]");
        assertThat(v).isEqualTo(List.of("a\"b\\c\né/", new BigInteger("123456789012345678901234567890")));
    }

    @Test
    void rejectsInvalidJsonWithTheOffset() {
        assertThatThrownBy(() -> Json.parse("{\"a\": }")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset 6");
        assertThatThrownBy(() -> Json.parse("{} x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid JSON");
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("Expected a JSON object");
    }

    @Test
    void writesWhatItParses() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pause", null);
        m.put("ttl", 20);
        m.put("s", "q\"\n");
        m.put("nested", Map.of("b", true));
        m.put("list", List.of(1, "x"));
        String json = Json.write(m);
        assertThat(json).isEqualTo("{\"pause\":null,\"ttl\":20,\"s\":\"q\\\"\\n\",\"nested\":{\"b\":true},"
                + "\"list\":[1,\"x\"]}");
        Map<String, Object> back = Json.parseObject(json);
        assertThat(back).containsEntry("pause", null).containsEntry("ttl", 20L).containsEntry("s", "q\"\n")
                .containsEntry("nested", Map.of("b", true)).containsEntry("list", List.of(1L, "x"));
    }

    @Test
    void mergePatchRestoresTheBaseline() {
        Map<String, Object> baseline = Json.parseObject("{\"ttl\": 10, \"loop_wait\": 2, \"postgresql\": "
                + "{\"parameters\": {\"max_connections\": 100}}}");
        Map<String, Object> current = Json.parseObject("{\"ttl\": 20, \"loop_wait\": 2, \"pause\": true, "
                + "\"synchronous_mode\": true, \"postgresql\": {\"parameters\": {\"max_connections\": 100, "
                + "\"work_mem\": \"8MB\"}}}");
        Map<String, Object> patch = Json.mergePatch(current, baseline);
        assertThat(Json.write(patch)).isEqualTo("{\"pause\":null,\"synchronous_mode\":null,\"ttl\":10,"
                + "\"postgresql\":{\"parameters\":{\"work_mem\":null}}}");
        assertThat(Json.mergePatch(baseline, baseline)).isEmpty();
        // 10 and 10.0 are the same value for Patroni
        assertThat(Json.mergePatch(Map.of("ttl", new BigDecimal("10.0")), Map.of("ttl", 10L))).isEmpty();
    }
}
