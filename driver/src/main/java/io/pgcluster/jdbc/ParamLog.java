package io.pgcluster.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * The parameters set on a prepared statement, kept so that they can be set again on a re-created physical
 * statement. One slot per parameter index: setting a parameter again replaces it, so a statement executed in a
 * loop keeps a bounded log.
 *
 * <p>Not thread-safe, like the statement that owns it.
 */
final class ParamLog {

    /** Sets one parameter on a physical statement. */
    @FunctionalInterface
    interface Op {
        void apply(PreparedStatement s) throws SQLException;
    }

    private Op[] ops = new Op[8];
    private int highest;
    private boolean replayable = true;

    void put(int index, Op op) {
        if (index < 1) {
            return;
        }
        if (index >= ops.length) {
            ops = Arrays.copyOf(ops, Math.max(index + 1, ops.length * 2));
        }
        ops[index] = op;
        highest = Math.max(highest, index);
    }

    void clear() {
        Arrays.fill(ops, 0, highest + 1, null);
        highest = 0;
        replayable = true;
    }

    /** A parameter was given in a form that cannot be given twice (a stream, a LOB, an array). */
    void unreplayable() {
        replayable = false;
    }

    boolean isReplayable() {
        return replayable;
    }

    /**
     * Whether a {@code setObject} value can be given again later with the same meaning: text, numbers, booleans,
     * dates and times, UUIDs. Streams, LOBs, arrays, byte arrays (the caller may reuse them), maps and driver
     * objects cannot.
     */
    static boolean isImmutable(Object value) {
        return value == null || value instanceof String || value instanceof Number && isJdkNumber(value)
                || value instanceof Boolean || value instanceof Character || value instanceof java.util.UUID
                || value instanceof java.time.temporal.TemporalAccessor && value.getClass().getName().startsWith("java.time.")
                || value instanceof Enum;
    }

    private static boolean isJdkNumber(Object n) {
        return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof Double || n instanceof Float || n instanceof java.math.BigDecimal
                || n instanceof java.math.BigInteger;
    }

    void replay(PreparedStatement s) throws SQLException {
        for (int i = 1; i <= highest; i++) {
            if (ops[i] != null) {
                ops[i].apply(s);
            }
        }
    }
}
