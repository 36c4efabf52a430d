package io.pgcluster.benchmarks.soak;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The ground truth the checker compares the application's experience with: what each PostgreSQL server itself says,
 * every {@value #INTERVAL_MILLIS} ms, over a superuser connection to its real port (no fault proxy, no pgcluster):
 * {@code pg_is_in_recovery()} false means a primary, true a replica; no answer within 2 s means down. Only changes are
 * kept, so the history stays small however long the soak runs.
 *
 * <p>Thread-safety: one daemon thread per member writes its own history; queries synchronize.
 */
final class RoleProbe implements AutoCloseable {
    static final long INTERVAL_MILLIS = 200;

    /** What a member said at a probe. */
    enum State { PRIMARY, REPLICA, DOWN }

    /** From {@code atNanos} on, {@code member} was in {@code state}. */
    record Change(String member, long atNanos, State state) {
    }

    /** Opens a probe connection to a member; may throw when the member is down. */
    @FunctionalInterface
    interface Connector {
        Connection connect(String member) throws SQLException;
    }

    private final List<Change> changes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    /** An empty history, for tests of the checker. */
    RoleProbe() {
    }

    /** Starts one probe thread per member. */
    RoleProbe(List<String> members, Connector connector) {
        for (String m : members) {
            Thread t = new Thread(() -> loop(m, connector), "soak-probe-" + m);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void loop(String member, Connector connector) {
        Connection c = null;
        State last = null;
        while (!closed) {
            State s;
            try {
                if (c == null) {
                    c = connector.connect(member);
                }
                try (Statement st = c.createStatement()) {
                    st.setQueryTimeout(2);
                    try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                        rs.next();
                        s = rs.getBoolean(1) ? State.REPLICA : State.PRIMARY;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                s = State.DOWN;
                closeQuietly(c);
                c = null;
            }
            if (s != last) {
                add(new Change(member, System.nanoTime(), s));
                last = s;
            }
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                break;
            }
        }
        closeQuietly(c);
    }

    synchronized void add(Change c) {
        changes.add(c);
    }

    synchronized List<Change> changes() {
        return List.copyOf(changes);
    }

    /**
     * The longest stretch inside {@code [from, to]} during which no member was in a state accepted by
     * {@code serving} (e.g. {@code PRIMARY} for writes), in nanoseconds. Before a member's first probe it counts as
     * down.
     */
    synchronized long longestGap(long from, long to, Predicate<State> serving) {
        Map<String, State> now = new TreeMap<>();
        long gapStart = Long.MIN_VALUE; // MIN_VALUE: currently served
        long longest = 0;
        boolean served = false;
        // state at 'from'
        List<Change> sorted = new ArrayList<>(changes);
        sorted.sort((a, b) -> Long.compare(a.atNanos() - from, b.atNanos() - from));
        int i = 0;
        while (i < sorted.size() && sorted.get(i).atNanos() - from <= 0) {
            now.put(sorted.get(i).member(), sorted.get(i).state());
            i++;
        }
        served = now.values().stream().anyMatch(serving);
        if (!served) {
            gapStart = from;
        }
        for (; i < sorted.size() && sorted.get(i).atNanos() - to <= 0; i++) {
            Change c = sorted.get(i);
            now.put(c.member(), c.state());
            boolean s = now.values().stream().anyMatch(serving);
            if (served && !s) {
                gapStart = c.atNanos();
            } else if (!served && s) {
                longest = Math.max(longest, c.atNanos() - gapStart);
            }
            served = s;
        }
        if (!served) {
            longest = Math.max(longest, to - gapStart);
        }
        return longest;
    }

    /** How many times, over the whole run, the number of primaries went from 0 or 1 to more than one. */
    synchronized int twoPrimaryEpisodes() {
        Map<String, State> now = new TreeMap<>();
        int episodes = 0;
        boolean two = false;
        for (Change c : changes) {
            now.put(c.member(), c.state());
            long primaries = now.values().stream().filter(s -> s == State.PRIMARY).count();
            if (primaries > 1 && !two) {
                episodes++;
            }
            two = primaries > 1;
        }
        return episodes;
    }

    @Override
    public void close() {
        closed = true;
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

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException e) {
                // a probe connection to a member that went away
            }
        }
    }
}
