package io.pgcluster.jdbc.it;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs reader and writer threads against a cluster and records what happened: successes, failures by SQLState,
 * which server each operation ran on, and when writes succeeded (to measure outages).
 */
final class Workload implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Workload.class);

    /** One operation; returns the name of the server it ran on (or anything identifying it). */
    @FunctionalInterface
    interface Task {
        String run(long seq) throws Exception;
    }

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> placements = new ConcurrentHashMap<>();
    private final Map<String, Throwable> firstFailure = new ConcurrentHashMap<>();
    private final List<long[]> writeSuccesses = new ArrayList<>();
    private final LongAdder writes = new LongAdder();
    private final LongAdder reads = new LongAdder();
    private final long pauseMillis;
    private volatile boolean stop;

    Workload(long pauseMillis) {
        this.pauseMillis = pauseMillis;
    }

    Workload writer(String name, Task task) {
        return start(name, true, task);
    }

    Workload reader(String name, Task task) {
        return start(name, false, task);
    }

    private Workload start(String name, boolean write, Task task) {
        Thread t = new Thread(() -> loop(write, task), "workload-" + name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return this;
    }

    private void loop(boolean write, Task task) {
        String kind = write ? "write" : "read";
        while (!stop) {
            long n = seq.incrementAndGet();
            try {
                String server = task.run(n);
                long now = System.nanoTime();
                (write ? writes : reads).increment();
                placements.computeIfAbsent(kind + "@" + server, k -> new LongAdder()).increment();
                if (write) {
                    synchronized (writeSuccesses) {
                        writeSuccesses.add(new long[] {now, n});
                    }
                }
            } catch (Exception e) {
                String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : e.getClass().getName();
                String key = kind + ":" + state;
                failures.computeIfAbsent(key, k -> new LongAdder()).increment();
                if (firstFailure.putIfAbsent(key, e) == null) {
                    log.info("workload: first {} failure", key, e); // the stack, for a failure a test rejects
                }
            }
            if (pauseMillis > 0) {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    long writes() {
        return writes.sum();
    }

    long reads() {
        return reads.sum();
    }

    /** Failures by "read:SQLSTATE" / "write:SQLSTATE". */
    Map<String, Long> failures() {
        Map<String, Long> m = new TreeMap<>();
        failures.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long failures(String kind) {
        return failures().entrySet().stream().filter(e -> e.getKey().startsWith(kind + ":"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    Throwable firstFailure(String key) {
        return firstFailure.get(key);
    }

    /** Operations by "read@server" / "write@server". */
    Map<String, Long> placements() {
        Map<String, Long> m = new TreeMap<>();
        placements.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long placed(String kind, String server) {
        LongAdder a = placements.get(kind + "@" + server);
        return a == null ? 0 : a.sum();
    }

    /** The first successful write at or after {@code nanoTime}, or -1. */
    long firstWriteAfter(long nanoTime) {
        synchronized (writeSuccesses) {
            long best = -1;
            for (long[] s : writeSuccesses) {
                if (s[0] >= nanoTime && (best < 0 || s[0] < best)) {
                    best = s[0];
                }
            }
            return best;
        }
    }

    /** Longest time between two consecutive successful writes (any writer), in milliseconds. */
    long longestWriteGapMillis() {
        long[] times;
        synchronized (writeSuccesses) {
            times = writeSuccesses.stream().mapToLong(s -> s[0]).sorted().toArray();
        }
        long gap = 0;
        for (int i = 1; i < times.length; i++) {
            gap = Math.max(gap, times[i] - times[i - 1]);
        }
        return gap / 1_000_000L;
    }

    String summary() {
        return "writes=" + writes() + " reads=" + reads() + " failures=" + failures() + " placements=" + placements()
                + " longestWriteGap=" + longestWriteGapMillis() + "ms";
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            t.join(30_000);
        }
    }
}
