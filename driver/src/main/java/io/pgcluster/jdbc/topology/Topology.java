package io.pgcluster.jdbc.topology;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * An immutable snapshot of a Patroni cluster: its leader, members, synchronous standbys, a pending switchover
 * and pause state, with when and how it was observed.
 *
 * <p>Sources build snapshots; the cluster's view (one per data source) owns the current one and tells listeners when it changes.
 * A snapshot never changes after construction, so any thread may read it without locking.
 *
 * <p>When the source cannot be reached, the view keeps the last snapshot and marks it with
 * {@link #sourceReachable()} false and {@link #sourceProblem()}: traffic goes on by the last known layout.
 */
public final class Topology {

    /**
     * A switchover Patroni has been asked to perform (its {@code failover} key), not yet done.
     *
     * @param from the leader at the time of the request, or {@code null}
     * @param to the requested candidate, or {@code null} for any
     * @param scheduledAt Patroni's {@code scheduled_at}, or {@code null}
     */
    public record Switchover(String from, String to, String scheduledAt) {
    }

    private static final Comparator<Member> BY_NAME = Comparator.comparing(Member::name);

    private final String cluster;
    private final boolean known;
    private final Member leader;
    private final Member standbyLeader;
    private final List<Member> members;
    private final List<Member> replicas;
    private final Set<String> syncStandbys;
    private final Switchover pendingSwitchover;
    private final boolean paused;
    private final Instant observedAt;
    private final long observedNanos;
    private final boolean sourceReachable;
    private final String sourceProblem;
    private final boolean sourceRefused;
    private final String systemIdentifier;

    private Topology(Builder b, boolean known, boolean reachable, String problem, Instant at, long nanos) {
        this(b, known, reachable, problem, false, at, nanos);
    }

    private Topology(Builder b, boolean known, boolean reachable, String problem, boolean refused, Instant at,
            long nanos) {
        this.cluster = b.cluster;
        this.known = known;
        List<Member> sorted = new ArrayList<>(b.members);
        sorted.sort(BY_NAME);
        this.members = List.copyOf(sorted);
        Member l = null;
        if (b.leaderName != null) {
            for (Member m : members) {
                if (m.name().equals(b.leaderName)) {
                    l = m;
                }
            }
        }
        // In a Patroni standby cluster the leader key is held by a standby_leader: a server in recovery, replicating
        // from another cluster, that can never take a write. It is routed as a replica, never as the write leader.
        if (l != null && l.role() == Role.STANDBY_LEADER) {
            this.standbyLeader = l;
            l = null;
        } else {
            this.standbyLeader = null;
        }
        this.leader = l;
        List<Member> reps = new ArrayList<>();
        for (Member m : members) {
            if (m != l && (m.role() == Role.REPLICA || m.role() == Role.STANDBY_LEADER) && m.isRunning()) {
                reps.add(m);
            }
        }
        this.replicas = List.copyOf(reps);
        this.syncStandbys = Set.copyOf(b.syncStandbys);
        this.pendingSwitchover = b.pendingSwitchover;
        this.paused = b.paused;
        this.observedAt = at;
        this.observedNanos = nanos;
        this.sourceReachable = reachable;
        this.sourceProblem = problem;
        this.sourceRefused = !reachable && refused;
        this.systemIdentifier = b.systemIdentifier;
    }

    /** A snapshot for a cluster about which nothing is known yet. */
    public static Topology unknown(String cluster, String problem) {
        return unknown(cluster, problem, false);
    }

    /**
     * A snapshot for a cluster about which nothing is known yet.
     *
     * @param refused whether the source refused pgcluster (see {@link #sourceRefused()})
     */
    public static Topology unknown(String cluster, String problem, boolean refused) {
        return new Topology(builder(cluster), false, false, problem, refused, Instant.now(), System.nanoTime());
    }

    public static Builder builder(String cluster) {
        return new Builder(cluster);
    }

    /** The cluster's configured name. */
    public String cluster() {
        return cluster;
    }

    /** False only for the placeholder before the source has answered once. */
    public boolean isKnown() {
        return known;
    }

    /**
     * The member holding the leader key, or {@code null} while there is none (failover in progress) and in a
     * standby cluster (see {@link #standbyLeader()}): the member writes go to.
     */
    public Member leader() {
        return leader;
    }

    /**
     * In a Patroni standby cluster, the {@code standby_leader} holding the leader key: it replicates from another
     * cluster and serves reads only (it is among the {@link #replicas()} when running); {@code null} otherwise.
     */
    public Member standbyLeader() {
        return standbyLeader;
    }

    /** Every member, sorted by name. */
    public List<Member> members() {
        return members;
    }

    /** Running replicas (not the leader), sorted by name; eligibility for reads is the router's decision. */
    public List<Member> replicas() {
        return replicas;
    }

    /** The member with this name, or {@code null}. */
    public Member member(String name) {
        for (Member m : members) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** Names of synchronous standbys (Patroni's {@code sync} key). */
    public Set<String> syncStandbys() {
        return syncStandbys;
    }

    /** A requested switchover not yet completed, or {@code null}. */
    public Switchover pendingSwitchover() {
        return pendingSwitchover;
    }

    /** Whether Patroni is paused (maintenance mode): no automatic failover will happen. */
    public boolean paused() {
        return paused;
    }

    /** Wall-clock time of the observation. */
    public Instant observedAt() {
        return observedAt;
    }

    /** {@link System#nanoTime()} of the observation, for ages. */
    public long observedNanos() {
        return observedNanos;
    }

    /** False when the source could not be reached at the last attempt; this snapshot is then the last known. */
    public boolean sourceReachable() {
        return sourceReachable;
    }

    /**
     * Whether the source answered but refused pgcluster: its credentials, permissions or TLS trust are wrong
     * (dcsUser/dcsPassword, an ACL, dcsCaFile). Waiting does not fix that, so while the topology is unknown work
     * fails at once instead of waiting for a leader.
     */
    public boolean sourceRefused() {
        return sourceRefused;
    }

    /** Why the source is unreachable (no secrets), or {@code null}. */
    public String sourceProblem() {
        return sourceProblem;
    }

    /** Milliseconds since the observation. */
    public long ageMillis() {
        return (System.nanoTime() - observedNanos) / 1_000_000L;
    }

    /** The same layout, marked as no longer confirmed by an unreachable source. */
    public Topology withSourceUnreachable(String problem) {
        return withSourceUnreachable(problem, false);
    }

    /** The same layout, marked as no longer confirmed by a source that is unreachable or refused pgcluster. */
    public Topology withSourceUnreachable(String problem, boolean refused) {
        return new Topology(toBuilder(), known, false, problem, refused, observedAt, observedNanos);
    }

    /**
     * The PostgreSQL system identifier of the cluster this snapshot describes: Patroni's {@code initialize} key in the
     * DCS. A cluster removed from the DCS and bootstrapped again from scratch (initdb, or another cluster's backup)
     * has a new one; a point-in-time restore of the same cluster keeps it (only its timeline changes).
     *
     * @return the identifier, or {@code null} when the source does not show it (REST, hosts, endpoints) or the
     *     cluster is not initialized (yet, or again: between {@code patronictl remove} and a new bootstrap)
     */
    public String systemIdentifier() {
        return systemIdentifier;
    }

    /** Whether both have the same leader server (or both none). */
    public boolean sameLeader(Topology other) {
        return leader == null ? other.leader == null : leader.sameServer(other.leader);
    }

    private Builder toBuilder() {
        Builder b = new Builder(cluster);
        b.members.addAll(members);
        Member keyHolder = leader != null ? leader : standbyLeader;
        b.leaderName = keyHolder == null ? null : keyHolder.name();
        b.syncStandbys.addAll(syncStandbys);
        b.pendingSwitchover = pendingSwitchover;
        b.paused = paused;
        b.systemIdentifier = systemIdentifier;
        return b;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Topology[").append(cluster);
        if (!known) {
            return s.append(", unknown").append(sourceProblem == null ? "" : ": " + sourceProblem).append(']')
                    .toString();
        }
        s.append(", leader=").append(leader == null ? "none" : leader.name());
        if (standbyLeader != null) {
            s.append(", standby cluster, standby leader=").append(standbyLeader.name());
        }
        s.append(", members=").append(members);
        if (!syncStandbys.isEmpty()) {
            s.append(", sync=").append(syncStandbys);
        }
        if (pendingSwitchover != null) {
            s.append(", switchover=").append(pendingSwitchover);
        }
        if (paused) {
            s.append(", paused");
        }
        if (systemIdentifier != null) {
            s.append(", system identifier ").append(systemIdentifier);
        }
        if (!sourceReachable) {
            s.append(", source unreachable: ").append(sourceProblem);
        }
        return s.append(']').toString();
    }

    /** Assembles a snapshot; not thread-safe. */
    public static final class Builder {
        private final String cluster;
        private final List<Member> members = new ArrayList<>();
        private final java.util.Set<String> syncStandbys = new java.util.HashSet<>();
        private String leaderName;
        private Switchover pendingSwitchover;
        private boolean paused;
        private String systemIdentifier;

        private Builder(String cluster) {
            this.cluster = cluster;
        }

        public Builder member(Member m) {
            members.add(m);
            return this;
        }

        /** Names the leader; it must also be added as a member, else the snapshot has no leader. */
        public Builder leader(String name) {
            this.leaderName = name;
            return this;
        }

        public Builder syncStandby(String name) {
            syncStandbys.add(name);
            return this;
        }

        public Builder pendingSwitchover(Switchover s) {
            this.pendingSwitchover = s;
            return this;
        }

        public Builder paused(boolean p) {
            this.paused = p;
            return this;
        }

        /** Patroni's {@code initialize} key, or {@code null} when not known (see {@link #systemIdentifier()}). */
        public Builder systemIdentifier(String id) {
            this.systemIdentifier = id;
            return this;
        }

        /** A snapshot observed now, from a reachable source. */
        public Topology build() {
            return new Topology(this, true, true, null, Instant.now(), System.nanoTime());
        }
    }
}
