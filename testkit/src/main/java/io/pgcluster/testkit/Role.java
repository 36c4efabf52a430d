package io.pgcluster.testkit;

import java.util.Locale;

/**
 * A member's role as Patroni reports it, in the same vocabulary as the driver's
 * {@code io.pgcluster.jdbc.topology.Role} (the test kit does not depend on the driver, so this enum mirrors it; keep
 * the two mappings in step): Patroni 3 writes {@code master}, Patroni 4 {@code primary}, the REST API {@code leader}
 * — all {@link #PRIMARY}. This is the only place in the test kit that knows Patroni's role strings.
 */
enum Role {
    /** Runs read-write: Patroni's master, primary or (REST) leader. */
    PRIMARY,
    /** Streams from the primary: Patroni's replica, sync_standby, quorum_standby. */
    REPLICA,
    /** Leads a standby cluster: holds the leader key but replicates from another cluster. */
    STANDBY_LEADER,
    /** Transitional (demoted, promoted, uninitialized) or not known. */
    OTHER;

    /** The role Patroni gives the replica that confirms commits in {@code synchronous_mode}. */
    static final String SYNC_STANDBY = "sync_standby";

    /** Maps Patroni's role string (any version, DCS or REST); unknown strings map to {@link #OTHER}. */
    static Role fromPatroni(String role) {
        if (role == null) {
            return OTHER;
        }
        switch (role.toLowerCase(Locale.ROOT)) {
            case "master":
            case "primary":
            case "leader":
                return PRIMARY;
            case "replica":
            case SYNC_STANDBY:
            case "quorum_standby":
            case "standby":
                return REPLICA;
            case "standby_leader":
                return STANDBY_LEADER;
            default:
                return OTHER;
        }
    }

    /** Whether a member in this role holds the leader key (a primary, or the leader of a standby cluster). */
    boolean holdsLeaderKey() {
        return this == PRIMARY || this == STANDBY_LEADER;
    }
}
