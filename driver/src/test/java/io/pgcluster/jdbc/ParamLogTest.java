package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Recording parameters in typed slots and setting them again, each primitive through its long bits. */
class ParamLogTest {

    private static PreparedStatement recorder(List<String> calls) {
        return (PreparedStatement) Proxy.newProxyInstance(ParamLogTest.class.getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, (proxy, method, args) -> {
                    calls.add(method.getName() + Arrays.toString(args));
                    return null;
                });
    }

    private static void put(ParamLog log, int op, int index, long bits, Object value, Object extra, int a, int b) {
        log.put(index, op, bits, value, extra, a, b);
    }

    @Test
    void everyKindOfValueIsSetAgainAsGivenInIndexOrder() throws SQLException {
        ParamLog log = new ParamLog();
        put(log, PreparedStatementWrapper.SET_DOUBLE__INT_DOUBLE, 3, Double.doubleToRawLongBits(-2.5), null, null, 0,
                0);
        put(log, PreparedStatementWrapper.SET_BOOLEAN__INT_BOOLEAN, 1, 1, null, null, 0, 0);
        put(log, PreparedStatementWrapper.SET_FLOAT__INT_FLOAT, 2, Float.floatToRawIntBits(0.25f), null, null, 0, 0);
        put(log, PreparedStatementWrapper.SET_LONG__INT_LONG, 4, Long.MIN_VALUE, null, null, 0, 0);
        put(log, PreparedStatementWrapper.SET_NULL__INT_INT_STRING, 5, Types.ARRAY, null, "int4[]", 0, 0);
        put(log, PreparedStatementWrapper.SET_OBJECT__INT_OBJECT_INT_INT, 6, 0, new BigDecimal("1.50"), null,
                Types.NUMERIC, 2);
        put(log, PreparedStatementWrapper.SET_INT__INT_INT, 20, 7, null, null, 0, 0); // grows the slots
        put(log, PreparedStatementWrapper.SET_INT__INT_INT, 20, 8, null, null, 0, 0); // the same index again
        List<String> calls = new ArrayList<>();
        log.replay(recorder(calls));
        assertThat(calls).containsExactly("setBoolean[1, true]", "setFloat[2, 0.25]", "setDouble[3, -2.5]",
                "setLong[4, -9223372036854775808]", "setNull[5, 2003, int4[]]", "setObject[6, 1.50, 2, 2]",
                "setInt[20, 8]");
    }

    @Test
    void clearForgetsEverythingAndMakesItReplayableAgain() throws SQLException {
        ParamLog log = new ParamLog();
        put(log, PreparedStatementWrapper.SET_STRING__INT_STRING, 1, 0, "x", null, 0, 0);
        log.unreplayable();
        assertThat(log.isReplayable()).isFalse();
        log.clear();
        assertThat(log.isReplayable()).isTrue();
        List<String> calls = new ArrayList<>();
        log.replay(recorder(calls));
        assertThat(calls).isEmpty();
    }

    /** Settings share the object with the parameters: clearParameters() must not take them along. */
    @Test
    void settingsAreGivenAgainInOpOrderTheLastOfEachAndSurviveClearingTheParameters() throws SQLException {
        ParamLog log = new ParamLog();
        log.setting(StatementWrapper.SET_QUERY_TIMEOUT__INT, 3, null);
        log.setting(StatementWrapper.SET_FETCH_SIZE__INT, 10, null);
        log.setting(StatementWrapper.SET_FETCH_SIZE__INT, 50, null);
        log.setting(StatementWrapper.SET_CURSOR_NAME__STRING, 0, "c1");
        put(log, PreparedStatementWrapper.SET_INT__INT_INT, 1, 42, null, null, 0, 0);
        log.clear();
        List<String> calls = new ArrayList<>();
        PreparedStatement s = recorder(calls);
        log.applySettings(s);
        log.replay(s);
        assertThat(calls).containsExactly("setCursorName[c1]", "setFetchSize[50]", "setQueryTimeout[3]");
    }

    @Test
    void setObjectIsReplayableOnlyForImmutableValues() {
        int op = PreparedStatementWrapper.SET_OBJECT__INT_OBJECT;
        assertThat(PreparedStatementWrapper.isReplayable(op, "text")).isTrue();
        assertThat(PreparedStatementWrapper.isReplayable(op, java.time.LocalDate.of(2026, 1, 1))).isTrue();
        assertThat(PreparedStatementWrapper.isReplayable(op, new byte[1])).isFalse();
        assertThat(PreparedStatementWrapper.isReplayable(PreparedStatementWrapper.SET_BINARY_STREAM__INT_INPUT_STREAM,
                null)).as("streams never").isFalse();
        assertThat(PreparedStatementWrapper.isReplayable(PreparedStatementWrapper.SET_INT__INT_INT, null)).isTrue();
    }
}
