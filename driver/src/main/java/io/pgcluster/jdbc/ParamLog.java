package io.pgcluster.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/**
 * What re-creating a statement's physical statement needs beyond its SQL, kept so that it can be given again: the
 * parameters set on a prepared statement, the settings given to any statement (fetch size, timeout, ...), the way
 * it was created when that is not the usual form of its kind ({@link LogicalStatement#createUsual}), and whether a
 * batch is pending (a batch is never re-created). All in one object, made at the first need, so that a statement
 * spends one field on them and most statements nothing more.
 *
 * <p>Parameters: one slot per parameter index, in typed arrays: the setter's op code, its primitive value as long
 * bits, its object value and extra object (a calendar, a type), and two int arguments. Setting a parameter again
 * overwrites its slot, so a statement executed in a loop records without allocating; the arrays are made at the
 * first parameter and grown only when a higher index appears. Settings: one typed slot per setting, made at the
 * first setting.
 *
 * <p>Not thread-safe, like the statement that owns it.
 */
final class ParamLog {
    /** Setter op code + 1 per index - 1; 0: not set. */
    private int[] ops;
    private long[] bits;
    /** Two per index: the value and the extra object. */
    private Object[] objects;
    /** Two per index: int arguments {@code a} and {@code b}. */
    private int[] ints;
    private int highest;
    private boolean replayable = true;
    /** A batch was added and not yet run or cleared. */
    boolean batched;
    /** How to create the physical statement, when not in the usual form of its kind; else {@code null}. */
    LogicalStatement.Factory<?> factory;
    /** Bit {@code op} set: statement setting {@code op} (see {@link StatementWrapper}) was given. */
    private int settingsGiven;
    private long[] settingBits;
    private Object[] settingValues;

    /** Records statement setting {@code op}; a later one of the same op replaces it. */
    void setting(int op, long bits, Object value) {
        if (settingBits == null) {
            settingBits = new long[StatementWrapper.SETTINGS];
            settingValues = new Object[StatementWrapper.SETTINGS];
        }
        settingsGiven |= 1 << op;
        settingBits[op] = bits;
        settingValues[op] = value;
    }

    /** Gives every recorded setting to {@code s}, in op order. */
    void applySettings(Statement s) throws SQLException {
        for (int op = 0; settingsGiven != 0 && op < StatementWrapper.SETTINGS; op++) {
            if ((settingsGiven & 1 << op) != 0) {
                StatementWrapper.applySetting(s, op, settingBits[op], settingValues[op]);
            }
        }
    }

    /** Records parameter {@code index} as set by setter {@code op} (see {@link PreparedStatementWrapper}). */
    void put(int index, int op, long bits, Object value, Object extra, int a, int b) {
        if (index < 1) {
            return; // the driver refuses it
        }
        int i = index - 1;
        if (ops == null || i >= ops.length) {
            grow(index);
        }
        ops[i] = op + 1;
        this.bits[i] = bits;
        objects[2 * i] = value;
        objects[2 * i + 1] = extra;
        ints[2 * i] = a;
        ints[2 * i + 1] = b;
        highest = Math.max(highest, index);
    }

    private void grow(int index) {
        int n = ops == null ? Math.max(index, 4) : Math.max(index, ops.length * 2);
        ops = ops == null ? new int[n] : Arrays.copyOf(ops, n);
        bits = bits == null ? new long[n] : Arrays.copyOf(bits, n);
        objects = objects == null ? new Object[2 * n] : Arrays.copyOf(objects, 2 * n);
        ints = ints == null ? new int[2 * n] : Arrays.copyOf(ints, 2 * n);
    }

    void clear() {
        if (ops != null) {
            Arrays.fill(ops, 0, highest, 0);
            Arrays.fill(objects, 0, 2 * highest, null); // let go of values the caller may want collected
        }
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

    /** Sets every recorded parameter on {@code s}, in index order. */
    void replay(PreparedStatement s) throws SQLException {
        for (int i = 0; i < highest; i++) {
            if (ops[i] != 0) {
                PreparedStatementWrapper.applyParam(s, ops[i] - 1, i + 1, bits[i], objects[2 * i],
                        objects[2 * i + 1], ints[2 * i], ints[2 * i + 1]);
            }
        }
    }
}
