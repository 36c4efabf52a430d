package io.pgcluster.benchmarks.soak;

/**
 * The kinds of operation the soak's workers run through pgcluster.
 *
 * <p>Thread-safety: an enum.
 */
public enum OpKind {
    /** {@code inTransaction(READ_WRITE_IDEMPOTENT)}: an insert keyed by (writer, sequence), ON CONFLICT DO NOTHING. */
    UNIT_WRITE("write: inTransaction(READ_WRITE_IDEMPOTENT)", true, true),
    /** Plain JDBC, auto-commit on: one insert. */
    JDBC_WRITE("write: plain JDBC, auto-commit", true, false),
    /** Plain JDBC, auto-commit off: one insert, then {@code commit()}. */
    JDBC_WRITE_TX("write: plain JDBC, explicit transaction", true, false),
    /** {@code inTransaction(READ_ONLY)}: where it ran, and the writer's highest sequence. */
    UNIT_READ("read: inTransaction(READ_ONLY)", false, true),
    /** Plain JDBC with {@code setReadOnly(true)}, auto-commit on. */
    JDBC_READ("read: plain JDBC, setReadOnly(true)", false, false);

    private final String label;
    private final boolean write;
    private final boolean unit;

    OpKind(String label, boolean write, boolean unit) {
        this.label = label;
        this.write = write;
        this.unit = unit;
    }

    /** How reports name it. */
    public String label() {
        return label;
    }

    public boolean isWrite() {
        return write;
    }

    /** Whether it is an {@code inTransaction} unit of work (retried by pgcluster). */
    public boolean isUnit() {
        return unit;
    }
}
