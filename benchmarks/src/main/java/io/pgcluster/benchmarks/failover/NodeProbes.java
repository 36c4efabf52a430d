package io.pgcluster.benchmarks.failover;

import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The floor no client can beat: one raw pgjdbc connection per node, straight to its PostgreSQL port, committing a
 * one-row update every {@code interval}. A node that commits is a primary; one that answers SQLState 25006 (read-only
 * transaction) is a replica; anything else is down. The longest time in which no node committed is the time the
 * cluster itself accepted no writes: in a switchover from the old primary's last commit to the new primary's first.
 *
 * <p>The probes also tell whether a healthy replica existed at a given moment, to judge reads that landed on the
 * primary.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class NodeProbes implements AutoCloseable {
    static final String TABLE = "bench_probe";
    static final String CREATE_TABLE = "CREATE TABLE " + TABLE + " (node text PRIMARY KEY, n bigint NOT NULL, "
            + "at timestamptz)";
    private static final String UPDATE = "UPDATE " + TABLE + " SET n = n + 1, at = clock_timestamp() WHERE node = ?";
    private static final org.postgresql.Driver PGJDBC = new org.postgresql.Driver();
    /** A replica counts as healthy at a moment when its last probe before it, at most this old, said replica. */
    static final long HEALTHY_WITHIN_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    enum State {
        PRIMARY, REPLICA, DOWN
    }

    /**
     * One probe result.
     *
     * @param node the node probed
     * @param nanos when the probe's statement returned (for a commit: when it was durable)
     * @param state what the node was
     */
    record Sample(String node, long nanos, State state) {
    }

    /**
     * The longest time without any commit on any node, within a window.
     *
     * @param fromNanos the last commit before it (the window's start if there was none)
     * @param toNanos the first commit after it (the window's end if there was none)
     * @param closed whether commits were seen on both sides
     */
    record Gap(long fromNanos, long toNanos, boolean closed) {
        long millis() {
            return (toNanos - fromNanos) / 1_000_000L;
        }
    }

    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final long intervalNanos;
    private volatile boolean stop;

    NodeProbes(PatroniCluster cluster, Duration interval) {
        this.intervalNanos = interval.toNanos();
        for (PatroniNode n : cluster.nodes()) {
            Thread t = new Thread(() -> loop(cluster, n), "probe-" + n.name());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Creates the probe table with one row per node; run on the leader. */
    static void createTable(Connection leader, List<PatroniNode> nodes) throws SQLException {
        try (var s = leader.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + TABLE);
            s.execute(CREATE_TABLE);
        }
        try (PreparedStatement ps = leader.prepareStatement("INSERT INTO " + TABLE + " (node, n) VALUES (?, 0)")) {
            for (PatroniNode n : nodes) {
                ps.setString(1, n.name());
                ps.executeUpdate();
            }
        }
    }

    private void loop(PatroniCluster cluster, PatroniNode node) {
        Connection c = null;
        PreparedStatement ps = null;
        while (!stop) {
            State s;
            try {
                if (c == null) {
                    c = connect(cluster, node);
                    ps = c.prepareStatement(UPDATE);
                    ps.setString(1, node.name());
                }
                ps.executeUpdate();
                s = State.PRIMARY;
            } catch (SQLException e) {
                if ("25006".equals(e.getSQLState())) {
                    s = State.REPLICA;
                } else {
                    s = State.DOWN;
                    close(c);
                    c = null;
                }
            }
            samples.add(new Sample(node.name(), System.nanoTime(), s));
            try {
                TimeUnit.NANOSECONDS.sleep(intervalNanos);
            } catch (InterruptedException e) {
                break;
            }
        }
        close(c);
    }

    private static Connection connect(PatroniCluster cluster, PatroniNode node) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", cluster.user());
        p.setProperty("password", cluster.password());
        p.setProperty("connectTimeout", "1");
        p.setProperty("loginTimeout", "2");
        p.setProperty("socketTimeout", "2");
        p.setProperty("ApplicationName", "bench-probe");
        Connection c = PGJDBC.connect(cluster.jdbcUrl(node.host(), node.pgPort()), p);
        if (c == null) {
            throw new SQLException("pgjdbc refused the URL");
        }
        return c;
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // it failed already
            }
        }
    }

    /** The samples taken in {@code [fromNanos, toNanos)}. */
    List<Sample> between(long fromNanos, long toNanos) {
        List<Sample> l = new ArrayList<>();
        for (Sample s : samples) {
            if (s.nanos() - fromNanos >= 0 && s.nanos() - toNanos < 0) {
                l.add(s);
            }
        }
        return l;
    }

    /** Drops samples older than {@code nanos}. */
    void forget(long nanos) {
        for (Iterator<Sample> it = samples.iterator(); it.hasNext();) {
            if (it.next().nanos() - nanos < 0) {
                it.remove();
            }
        }
    }

    /** The longest stretch of {@code [fromNanos, toNanos)} in which no node committed a probe write. */
    static Gap longestWriteGap(List<Sample> samples, long fromNanos, long toNanos) {
        long[] commits = samples.stream().filter(s -> s.state() == State.PRIMARY).mapToLong(Sample::nanos)
                .filter(t -> t - fromNanos >= 0 && t - toNanos < 0).sorted().toArray();
        if (commits.length == 0) {
            return new Gap(fromNanos, toNanos, false);
        }
        Gap best = new Gap(fromNanos, commits[0], false);
        for (int i = 1; i < commits.length; i++) {
            if (commits[i] - commits[i - 1] > best.toNanos() - best.fromNanos()) {
                best = new Gap(commits[i - 1], commits[i], true);
            }
        }
        long tail = toNanos - commits[commits.length - 1];
        if (tail > best.toNanos() - best.fromNanos()) {
            best = new Gap(commits[commits.length - 1], toNanos, false);
        }
        return best;
    }

    /**
     * Whether some node was a healthy replica at {@code nanos}: its last sample at or before then said replica and is
     * at most {@link #HEALTHY_WITHIN_NANOS} old.
     *
     * @param samples samples covering the moment (sorted or not)
     */
    static boolean replicaHealthyAt(List<Sample> samples, long nanos) {
        Map<String, Sample> last = new HashMap<>();
        for (Sample s : samples) {
            if (s.nanos() - nanos <= 0) {
                Sample prev = last.get(s.node());
                if (prev == null || s.nanos() - prev.nanos() > 0) {
                    last.put(s.node(), s);
                }
            }
        }
        return last.values().stream().anyMatch(s -> s.state() == State.REPLICA
                && nanos - s.nanos() <= HEALTHY_WITHIN_NANOS);
    }

    @Override
    public void close() {
        stop = true;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "NodeProbes" + Arrays.toString(threads.stream().map(Thread::getName).toArray());
    }
}
