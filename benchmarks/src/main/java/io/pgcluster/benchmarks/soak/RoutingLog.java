package io.pgcluster.benchmarks.soak;

import io.pgcluster.jdbc.internal.metrics.Access;
import io.pgcluster.jdbc.internal.metrics.ClusterMetrics;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The driver's own view of where reads may go, over time: every topology snapshot pgcluster published, reduced to its
 * leader and the replicas its router treats as eligible for reads, and every refused connection that made a replica
 * suspect. Attached to the data source with {@code addMetrics}, so it sees exactly the snapshots the router sees.
 *
 * <p>Eligible, as {@code io.pgcluster.jdbc.internal.routing.Router} defines it: a member of {@link Topology#replicas()}
 * (running, role replica, not the leader) without the {@code noloadbalance} tag, whose lag is known and at most
 * {@code maxReplicaLag}; and not suspect, i.e. no new connection to it was refused within the last
 * {@code suspectTimeout} (a fresh report ends a suspicion early in the driver; this log keeps the whole
 * {@code suspectTimeout}, which can only excuse more reads, never fewer).
 *
 * <p>Thread-safety: events arrive on the driver's threads; queries run afterwards; all methods synchronize.
 */
final class RoutingLog implements ClusterMetrics {

    /** From {@code atNanos} on, the router's view was this leader and these eligible replicas. */
    record View(long atNanos, String leader, Set<String> eligible) {
    }

    /** A read pool's member refused a connection at {@code atNanos}. */
    record Suspicion(String member, long atNanos) {
    }

    private final long maxLagBytes;
    private final long suspectNanos;
    private final List<View> views = new ArrayList<>();
    private final List<Suspicion> suspicions = new ArrayList<>();
    /** When pgcluster sent a read to the leader because no replica had replayed this JVM's writes yet. */
    private final List<Long> freshToLeader = new ArrayList<>();
    /** How many of {@link #freshToLeader} have excused a read on the primary (each excuses one). */
    private final List<Boolean> freshUsed = new ArrayList<>();

    RoutingLog(long maxLagBytes, long suspectNanos) {
        this.maxLagBytes = maxLagBytes;
        this.suspectNanos = suspectNanos;
    }

    @Override
    public void attached(Topology current) {
        record(current);
    }

    @Override
    public void onTopology(Topology previous, Topology current) {
        record(current);
    }

    @Override
    public synchronized void connectFailed(Member member, Access access, String sqlState) {
        if (access == Access.READ) {
            suspicions.add(new Suspicion(member.name(), System.nanoTime()));
        }
    }

    @Override
    public synchronized void freshRead(boolean waited, boolean toLeader) {
        if (toLeader) {
            freshToLeader.add(System.nanoTime());
            freshUsed.add(false);
        }
    }

    /** Records a read sent to the leader for read-your-writes as if at {@code atNanos} (for tests of the checker). */
    synchronized void freshToLeaderAt(long atNanos) {
        freshToLeader.add(atNanos);
        freshUsed.add(false);
    }

    /**
     * Whether pgcluster sent a read to the leader for read-your-writes within {@code [from, to]} (a replica had not
     * replayed this JVM's last write in {@code readYourWritesTimeout}) that has not excused another read yet; if so,
     * it now excuses this one.
     */
    synchronized boolean takeFreshToLeader(long from, long to) {
        for (int i = 0; i < freshToLeader.size(); i++) {
            long at = freshToLeader.get(i);
            if (!freshUsed.get(i) && at - from >= 0 && to - at >= 0) {
                freshUsed.set(i, true);
                return true;
            }
        }
        return false;
    }

    private synchronized void record(Topology t) {
        String leader = t.leader() == null ? null : t.leader().name();
        Set<String> eligible = new TreeSet<>();
        if (t.isKnown()) {
            for (Member m : t.replicas()) {
                if (!m.noLoadBalance() && m.lagBytes() >= 0 && m.lagBytes() <= maxLagBytes) {
                    eligible.add(m.name());
                }
            }
        }
        View last = views.isEmpty() ? null : views.get(views.size() - 1);
        if (last == null || !java.util.Objects.equals(last.leader(), leader) || !last.eligible().equals(eligible)) {
            views.add(new View(System.nanoTime(), leader, Set.copyOf(eligible)));
        }
    }

    /** Adds a view as if published at {@code atNanos} (for tests of the checker). */
    synchronized void add(View v) {
        views.add(v);
    }

    /** Adds a suspicion (for tests of the checker). */
    synchronized void add(Suspicion s) {
        suspicions.add(s);
    }

    synchronized List<View> views() {
        return List.copyOf(views);
    }

    /**
     * A replica the router would have chosen for a read throughout {@code [from, to]}: the view in force at
     * {@code from} did not change until {@code to}, and one of its eligible replicas was not suspect at any moment
     * of the window. {@code null} when there is none (the read may then legitimately have gone to the leader).
     */
    synchronized String eligibleThroughout(long from, long to) {
        View inForce = null;
        for (View v : views) {
            if (v.atNanos() - from <= 0) {
                inForce = v;
            } else if (v.atNanos() - to <= 0) {
                return null; // the view changed inside the window
            }
        }
        if (inForce == null) {
            return null;
        }
        for (String m : new TreeSet<>(inForce.eligible())) {
            if (!suspectDuring(m, from, to)) {
                return m;
            }
        }
        return null;
    }

    private boolean suspectDuring(String member, long from, long to) {
        for (Suspicion s : suspicions) {
            if (s.member().equals(member) && s.atNanos() - to <= 0 && s.atNanos() + suspectNanos - from >= 0) {
                return true;
            }
        }
        return false;
    }

    synchronized int changes() {
        return views.size();
    }

    synchronized int suspicionCount() {
        return suspicions.size();
    }
}
