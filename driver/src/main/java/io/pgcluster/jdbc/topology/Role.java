package io.pgcluster.jdbc.topology;

import java.util.Locale;

/**
 * A member's role as Patroni reports it, reduced to what routing needs.
 *
 * <p>Patroni 3 writes {@code master} for the primary, Patroni 4 {@code primary}; the REST API says
 * {@code leader}. All three map to {@link #PRIMARY}. The authority on who leads is the DCS leader key (see
 * {@link Topology#leader()}); a member whose own record still says primary without holding the key is in
 * transition and gets neither writes nor reads.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum Role {
    /** Runs read-write: Patroni's master, primary or (REST) leader. */
    PRIMARY,
    /** Streams from the primary: Patroni's replica, sync_standby, quorum_standby. */
    REPLICA,
    /**
     * Leads a Patroni standby cluster: holds the leader key but replicates from another cluster, so it is read-only;
     * {@link Topology} never makes it the write leader (see {@link Topology#standbyLeader()}).
     */
    STANDBY_LEADER,
    /** Transitional (demoted, promoted, uninitialized) or not known. */
    OTHER;

    /** Maps Patroni's role string (any version, DCS or REST); unknown strings map to {@link #OTHER}. */
    public static Role fromPatroni(String role) {
        if (role == null) {
            return OTHER;
        }
        switch (role.toLowerCase(Locale.ROOT)) {
            case "master":
            case "primary":
            case "leader":
                return PRIMARY;
            case "replica":
            case "sync_standby":
            case "quorum_standby":
            case "standby":
                return REPLICA;
            case "standby_leader":
                return STANDBY_LEADER;
            default:
                return OTHER;
        }
    }
}
