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

    void replay(PreparedStatement s) throws SQLException {
        for (int i = 1; i <= highest; i++) {
            if (ops[i] != null) {
                ops[i].apply(s);
            }
        }
    }
}
