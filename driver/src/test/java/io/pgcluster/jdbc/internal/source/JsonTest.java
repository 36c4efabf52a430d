package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    @SuppressWarnings("unchecked")
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\\\"\"], \"b\": {}, \"c\": 9223372036854775807, \"d\": 92233720368547758070} ");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        assertThat((List<Object>) m.get("a")).containsExactly(1L, -2500.0, true, false, null, "x\né\"");
        assertThat(m.get("b")).isEqualTo(Map.of());
        assertThat(m.get("c")).isEqualTo(Long.MAX_VALUE);
        assertThat(m.get("d")).isEqualTo(9.223372036854776E19); // beyond a long: a double
    }

    @Test
    void rejectsMalformedInputWithAnOffset() {
        assertThatThrownBy(() -> Json.parse("{\"a\": }")).hasMessageContaining("offset 6");
        assertThatThrownBy(() -> Json.parse("{\"a\": 1} x")).hasMessageContaining("after the value");
        assertThatThrownBy(() -> Json.parse("\"open")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> Json.parse("[1,]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.parse("tru")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Json.parse("[".repeat(100))).hasMessageContaining("nested too deeply");
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("JSON object");
    }

    @Test
    void errorsNameTheProblemButNeverQuoteAToken() {
        assertThatThrownBy(() -> Json.parse("{\"password\": s3cret-value}")).hasMessageContaining("offset")
                .hasMessageContaining("unrecognized token").hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).hasMessageContaining("unexpected character '1'")
                .hasMessageContaining("colon");
        assertThatThrownBy(() -> Json.parse("")).hasMessage("malformed JSON at offset 0: unexpected end");
        assertThatThrownBy(() -> Json.parse("{\"a\": 01}")).hasMessageContaining("Leading zeroes");
    }
}
