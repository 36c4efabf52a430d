package io.pgcluster.jdbc.internal.metrics;

/**
 * What a member's connections are used for: read-write work on the leader, or reads on a replica. A member has at
 * most one pool per kind of access at a time (two of the same while a retired one drains beside its successor).
 *
 * <p>Thread-safety: immutable.
 */
public enum Access {
    /** Read-write work, on the leader. */
    WRITE("write"),
    /** Read-only work, on a replica. */
    READ("read");

    private final String tag;

    Access(String tag) {
        this.tag = tag;
    }

    /** {@link #WRITE} or {@link #READ}. */
    public static Access of(boolean write) {
        return write ? WRITE : READ;
    }

    /** The lower-case name used in meter tags ({@code role=write}, {@code role=read}) and logs. */
    public String tag() {
        return tag;
    }

    @Override
    public String toString() {
        return tag;
    }
}
