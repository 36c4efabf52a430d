package io.pgcluster.jdbc.internal.topology;

import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import io.pgcluster.jdbc.topology.TopologyListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that owns a cluster's current {@link Topology}: sources publish into it, and listeners (routing
 * with its pools, metrics) hear about every change.
 *
 * <p>Reading {@link #current()} is a single volatile read. Publishing is serialized; listeners run on the
 * publishing thread. Operators get the changes in the log: a leader change at INFO (planned switchover) or
 * WARN (failover) with the old and new leader, a lost leader at WARN, members coming and going at INFO.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class ClusterView {
    private static final Logger log = LoggerFactory.getLogger(ClusterView.class);

    private final String cluster;
    private final List<TopologyListener> listeners = new CopyOnWriteArrayList<>();
    private final Object monitor = new Object();
    private volatile Topology current;
    private final Runnable refresh;
    private volatile long lastLeaderLossNanos;
    private volatile String lastKnownLeader;

    /** A view with no source to ask for a fresh look ({@link #requestRefresh()} does nothing), e.g. for tests. */
    public ClusterView(String cluster) {
        this(cluster, () -> { });
    }

    /**
     * @param refresh the source's "look again now" ({@code TopologySource.refresh}), given when the cluster is wired:
     *     the source exists before the view it publishes into
     */
    public ClusterView(String cluster, Runnable refresh) {
        this.cluster = cluster;
        this.refresh = refresh;
        this.current = Topology.unknown(cluster, "no answer from the topology source yet");
    }

    public String cluster() {
        return cluster;
    }

    /** The current snapshot; never {@code null}. */
    public Topology current() {
        return current;
    }

    /** Name and address of the last leader ever seen, or {@code null}; for error messages. */
    public String lastKnownLeader() {
        return lastKnownLeader;
    }

    public void addListener(TopologyListener listener) {
        listeners.add(listener);
    }

    /**
     * Asks the source to look again now, because a connection failure suggests the topology has changed.
     * Returns at once.
     */
    public void requestRefresh() {
        refresh.run();
    }

    /** Publishes a fresh snapshot from the source. */
    public void publish(Topology next) {
        synchronized (monitor) {
            Topology previous = current;
            logChanges(previous, next);
            current = next;
            if (next.leader() != null) {
                lastKnownLeader = next.leader().name() + " (" + next.leader().address() + ")";
            }
            for (TopologyListener l : listeners) {
                try {
                    l.onTopology(previous, next);
                } catch (RuntimeException e) {
                    log.error("pgcluster {}: topology listener {} failed", cluster, l, e);
                }
            }
        }
    }

    /** The source could not be reached: keep the last snapshot, marked as unconfirmed. */
    public void sourceUnreachable(String problem) {
        unconfirmed(problem, false);
    }

    /**
     * The source answered but refused pgcluster (credentials, permissions, TLS trust): like
     * {@link #sourceUnreachable(String)}, and while nothing is known yet, work fails at once
     * ({@link Topology#sourceRefused()}).
     */
    public void sourceRefused(String problem) {
        unconfirmed(problem, true);
    }

    private void unconfirmed(String problem, boolean refused) {
        synchronized (monitor) {
            Topology previous = current;
            if (!previous.sourceReachable() && problem.equals(previous.sourceProblem())
                    && refused == previous.sourceRefused()) {
                return;
            }
            if (previous.sourceReachable() || !previous.isKnown()) {
                log.warn("pgcluster {}: topology source {} ({}); keeping the last known topology: {}", cluster,
                        refused ? "refused pgcluster" : "unreachable", problem, describe(previous));
            } else {
                // still unconfirmed, for a new reason (e.g. a refused login after a lost connection): say so once
                log.info("pgcluster {}: topology source still unconfirmed, now: {}", cluster, problem);
            }
            publish(previous.isKnown() ? previous.withSourceUnreachable(problem, refused)
                    : Topology.unknown(cluster, problem, refused));
        }
    }

    private void logChanges(Topology prev, Topology next) {
        if (!next.isKnown()) {
            return;
        }
        if (!prev.isKnown()) {
            log.info("pgcluster {}: {}", cluster, describe(next));
            return;
        }
        if (!prev.sourceReachable() && next.sourceReachable()) {
            log.info("pgcluster {}: topology source reachable again", cluster);
        }
        Member oldLeader = prev.leader();
        Member newLeader = next.leader();
        if (!next.sameLeader(prev)) {
            if (newLeader == null) {
                lastLeaderLossNanos = System.nanoTime();
                log.warn("pgcluster {}: no leader (was {}); writes wait for a new one", cluster, name(oldLeader));
            } else if (oldLeader == null) {
                long lost = lastLeaderLossNanos;
                String after = lost == 0 ? "" : " after " + (System.nanoTime() - lost) / 1_000_000L + " ms without one";
                log.warn("pgcluster {}: new leader {} (previous {}){}", cluster, name(newLeader), lastKnownLeader,
                        after);
            } else if (prev.pendingSwitchover() != null) {
                log.info("pgcluster {}: switchover: leader {} -> {}", cluster, name(oldLeader), name(newLeader));
            } else {
                log.warn("pgcluster {}: failover: leader {} -> {}", cluster, name(oldLeader), name(newLeader));
            }
        }
        if (next.pendingSwitchover() != null && prev.pendingSwitchover() == null) {
            log.info("pgcluster {}: switchover requested: {}", cluster, next.pendingSwitchover());
        }
        if (next.paused() != prev.paused()) {
            log.info("pgcluster {}: Patroni {}", cluster, next.paused() ? "paused (no automatic failover)" : "resumed");
        }
        for (Member m : next.members()) {
            Member before = prev.member(m.name());
            if (before == null) {
                log.info("pgcluster {}: member {} appeared", cluster, m);
            } else if (before.role() != m.role() || !before.state().equals(m.state())
                    || !before.address().equals(m.address())) {
                log.info("pgcluster {}: member {} is now {}", cluster, before.name(), m);
            }
        }
        for (Member m : prev.members()) {
            if (next.member(m.name()) == null) {
                log.info("pgcluster {}: member {} left", cluster, m.name());
            }
        }
    }

    private static String name(Member m) {
        return m == null ? "none" : m.name() + " (" + m.address() + ")";
    }

    private static String describe(Topology t) {
        if (!t.isKnown()) {
            return "topology unknown";
        }
        return "leader " + name(t.leader())
                + (t.standbyLeader() == null ? "" : " (standby cluster: standby leader " + name(t.standbyLeader())
                        + " takes reads only)")
                + ", replicas "
                + (t.replicas().isEmpty() ? "none" : t.replicas().stream().map(Member::toString)
                        .collect(Collectors.joining(", ")));
    }
}
