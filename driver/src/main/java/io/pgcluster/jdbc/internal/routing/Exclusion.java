package io.pgcluster.jdbc.internal.routing;

/**
 * A running replica that routing leaves out of reads, and why: decided once, when the routing table is built, and
 * read as it is by error messages and health reports.
 *
 * @param member the replica's name
 * @param reason why it gets no reads
 * @param lagBytes its lag when that is the reason ({@link Reason#LAG_TOO_HIGH}), else 0
 * @param maxLagBytes the {@code maxReplicaLag} it exceeds ({@link Reason#LAG_TOO_HIGH}), else 0
 *
 * <p>Thread-safety: immutable.
 */
public record Exclusion(String member, Reason reason, long lagBytes, long maxLagBytes) {

    /** Why a running replica gets no reads. */
    public enum Reason {
        /** Patroni's {@code noloadbalance} tag: the operator took it out of read balancing. */
        NO_LOAD_BALANCE,
        /** Its lag is not known (the topology source did not report it). */
        LAG_UNKNOWN,
        /** It lags more than {@code maxReplicaLag}. */
        LAG_TOO_HIGH
    }

    static Exclusion of(String member, Reason reason) {
        return new Exclusion(member, reason, 0, 0);
    }

    static Exclusion lagging(String member, long lagBytes, long maxLagBytes) {
        return new Exclusion(member, Reason.LAG_TOO_HIGH, lagBytes, maxLagBytes);
    }

    /** The reason in words, e.g. {@code lag 2097152 B > maxReplicaLag 1048576 B}. */
    public String why() {
        switch (reason) {
            case NO_LOAD_BALANCE:
                return "noloadbalance";
            case LAG_UNKNOWN:
                return "lag unknown";
            default:
                return "lag " + lagBytes + " B > maxReplicaLag " + maxLagBytes + " B";
        }
    }

    /** The member and the reason, e.g. {@code pg3 (lag unknown)}. */
    @Override
    public String toString() {
        return member + " (" + why() + ")";
    }
}
