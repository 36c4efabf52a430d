package io.pgcluster.jdbc.topology;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
    PRIMARY("master", "primary", "leader"),
    /** Streams from the primary: Patroni's replica, sync_standby, quorum_standby. */
    REPLICA("replica", Names.SYNC_STANDBY, "quorum_standby", "standby"),
    /**
     * Leads a Patroni standby cluster: holds the leader key but replicates from another cluster, so it is read-only;
     * {@link Topology} never makes it the write leader (see {@link Topology#standbyLeader()}).
     */
    STANDBY_LEADER("standby_leader"),
    /** Transitional (demoted, promoted, uninitialized) or not known. */
    OTHER;

    /** Every role name Patroni writes (lower case), to the role it means: the one list of Patroni's vocabulary. */
    private static final Map<String, Role> BY_PATRONI_NAME;

    static {
        Map<String, Role> byName = new HashMap<>();
        for (Role r : values()) {
            for (String name : r.patroniNames) {
                byName.put(name, r);
            }
        }
        BY_PATRONI_NAME = Map.copyOf(byName);
    }

    private final List<String> patroniNames;

    Role(String... patroniNames) {
        this.patroniNames = List.of(patroniNames);
    }

    /** Maps Patroni's role string (any version, DCS or REST, any case); unknown strings map to {@link #OTHER}. */
    public static Role fromPatroni(String role) {
        return role == null ? OTHER : BY_PATRONI_NAME.getOrDefault(role.toLowerCase(Locale.ROOT), OTHER);
    }

    /**
     * Whether Patroni's role string names a synchronous standby: the REST API says so in the role
     * ({@code sync_standby}), where the DCS keeps it in the {@code sync} key instead.
     */
    public static boolean isSyncStandby(String role) {
        return Names.SYNC_STANDBY.equalsIgnoreCase(role);
    }

    /** Names used both in the vocabulary and on their own (an enum constant cannot refer to its own constants). */
    private static final class Names {
        static final String SYNC_STANDBY = "sync_standby";
    }
}
