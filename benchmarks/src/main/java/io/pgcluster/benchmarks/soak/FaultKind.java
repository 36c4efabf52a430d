package io.pgcluster.benchmarks.soak;

import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The faults the soak injects, each through the test kit's public operations. A fault is injected, held for a
 * random time drawn from the soak's seeded {@link Random} (so a seed replays the same sequence of kinds, draws among
 * the members and hold times; which member a draw hits also depends on who leads at that moment), undone, and then the soak waits for {@link PatroniCluster#restoreHealthy(Duration)} before the next.
 *
 * <p>Hold times stay well below the driver's {@code failoverTimeout} (20 s or more in the soak), so that a unit of
 * work is always expected to survive a fault: see docs/reliability.md.
 *
 * <p>Thread-safety: an enum; {@link #inject} is called by the soak's single fault thread.
 */
public enum FaultKind {
    /** {@code POST /switchover} to any healthy replica. */
    SWITCHOVER("switchover") {
        @Override
        String inject(PatroniCluster c, Random r) {
            String from = c.leader().name();
            PatroniNode to = c.switchover();
            return from + " -> " + to.name();
        }
    },
    /** SIGKILL to the leader's Patroni and PostgreSQL; restarted by the recovery once a new leader is writable. */
    KILL_PRIMARY("kill-primary") {
        @Override
        String inject(PatroniCluster c, Random r) {
            PatroniNode old = c.killPrimary();
            PatroniNode next = c.awaitLeaderOtherThan(old.name(), Duration.ofSeconds(90));
            return old.name() + " killed, " + next.name() + " leads";
        }
    },
    /** SIGKILL to a replica's Patroni and PostgreSQL; restarted by the recovery after a hold. */
    KILL_REPLICA("kill-replica") {
        @Override
        String inject(PatroniCluster c, Random r) throws InterruptedException {
            PatroniNode n = pick(c.replicas(), r);
            long hold = hold(r, 2, 8);
            n.kill9();
            Thread.sleep(hold);
            return n.name() + " killed, down " + hold + " ms";
        }
    },
    /** Graceful stop of a replica (SIGTERM to Patroni), started again after a hold. */
    STOP_REPLICA("stop-replica") {
        @Override
        String inject(PatroniCluster c, Random r) throws InterruptedException {
            PatroniNode n = pick(c.replicas(), r);
            long hold = hold(r, 3, 10);
            n.stop();
            Thread.sleep(hold);
            n.start();
            return n.name() + " stopped " + hold + " ms";
        }
    },
    /** etcd stopped (the leader demotes itself after retry_timeout; pgcluster's watch breaks), then started again. */
    ETCD_RESTART("etcd-restart") {
        @Override
        String inject(PatroniCluster c, Random r) throws InterruptedException {
            long hold = hold(r, 3, 10);
            c.etcd().stop();
            Thread.sleep(hold);
            c.etcd().start();
            return "etcd down " + hold + " ms";
        }
    },
    /**
     * The fault proxy in front of one member (leader or replica) blackholed: connections stay open and answer
     * nothing, as in a network partition between the clients (and the replicas' streaming) and that member; Patroni
     * still reaches etcd, so the member keeps its role. Healed after a hold.
     */
    NETWORK_CUT("network-cut") {
        @Override
        String inject(PatroniCluster c, Random r) throws InterruptedException {
            PatroniNode n = pick(c.nodes(), r);
            String role = n.name().equals(c.leader().name()) ? "leader" : "replica";
            long hold = hold(r, 4, 12);
            c.faultProxy(n).blackhole();
            Thread.sleep(hold);
            c.faultProxy(n).pass();
            return n.name() + " (" + role + ") cut " + hold + " ms";
        }
    },
    /** Patroni paused (maintenance mode) under load, then resumed. */
    PAUSE("pause") {
        @Override
        String inject(PatroniCluster c, Random r) throws InterruptedException {
            long hold = hold(r, 4, 12);
            c.pause();
            Thread.sleep(hold);
            c.resume();
            return "paused " + hold + " ms";
        }
    };

    private final String label;

    FaultKind(String label) {
        this.label = label;
    }

    /** The name used on the command line and in reports. */
    public String label() {
        return label;
    }

    /**
     * Injects the fault, holds it and undoes it (recovery to a healthy cluster is the caller's).
     *
     * @return what was done, for the report
     */
    abstract String inject(PatroniCluster cluster, Random random) throws InterruptedException;

    /** The kind with this label or enum name, case-insensitive. */
    public static FaultKind parse(String s) {
        for (FaultKind k : values()) {
            if (k.label.equalsIgnoreCase(s.trim()) || k.name().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown fault kind '" + s + "'; known: " + labels());
    }

    /** Every label, comma-separated. */
    public static String labels() {
        StringBuilder b = new StringBuilder();
        for (FaultKind k : values()) {
            b.append(b.length() == 0 ? "" : ",").append(k.label);
        }
        return b.toString();
    }

    private static PatroniNode pick(List<PatroniNode> nodes, Random r) {
        return nodes.get(r.nextInt(nodes.size()));
    }

    /** A hold time in milliseconds, uniform in [minSeconds, maxSeconds]. */
    private static long hold(Random r, int minSeconds, int maxSeconds) {
        return minSeconds * 1000L + r.nextInt((maxSeconds - minSeconds) * 1000 + 1);
    }

    @Override
    public String toString() {
        return label.toLowerCase(Locale.ROOT);
    }
}
