package io.pgcluster.benchmarks.failover;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady load on one {@link Client}: writer threads inserting a row each, reader threads reading, as the
 * {@link Workload} says, each thread pausing a fixed time between its steps. Every operation is recorded as an
 * {@link Op}, so that any time window can be analyzed afterwards.
 *
 * <p>Thread-safety: {@link #between}, {@link #forget} and {@link #close} may be called from any thread while the load
 * runs.
 */
final class Load implements AutoCloseable {
    private final Client client;
    private final Workload workload;
    private final long pauseNanos;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, String> firstMessages = new ConcurrentHashMap<>();
    private volatile boolean stop;

    /**
     * Starts {@code writers} writer and {@code readers} reader threads.
     *
     * @param pauseMillis pause of each thread after each step
     */
    Load(Client client, Workload workload, int writers, int readers, long pauseMillis) {
        this.client = client;
        this.workload = workload;
        this.pauseNanos = TimeUnit.MILLISECONDS.toNanos(pauseMillis);
        for (int i = 1; i <= writers; i++) {
            start("writer-" + i, true);
        }
        for (int i = 1; i <= readers; i++) {
            start("reader-" + i, false);
        }
    }

    private void start(String name, boolean write) {
        Thread t = new Thread(() -> loop(write), "load-" + name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void loop(boolean write) {
        long step = 0;
        while (!stop) {
            step++;
            if (write) {
                long id = ids.incrementAndGet();
                boolean written = run(true, false, () -> client.write(id));
                if (written && workload == Workload.JPA) {
                    run(false, true, () -> client.findOwn(id));
                }
            } else if (workload == Workload.TX || workload == Workload.JPA && step % 2 == 0) {
                run(false, false, client::read);
            } else {
                run(false, true, client::readAutoCommit);
            }
            try {
                TimeUnit.NANOSECONDS.sleep(pauseNanos);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One operation of a client. */
    private interface Call {
        Client.Where run() throws SQLException;
    }

    /** Runs and records one operation; true when it succeeded. */
    private boolean run(boolean write, boolean autoCommit, Call call) {
        long start = System.nanoTime();
        String state;
        String message;
        try {
            Client.Where w = call.run();
            ops.add(new Op(write, start, System.nanoTime(), null, w.port(), w.inRecovery(), autoCommit, !w.found()));
            return true;
        } catch (SQLException e) {
            state = e.getSQLState() != null ? e.getSQLState() : e.getClass().getSimpleName();
            message = e.getMessage();
        } catch (RuntimeException e) {
            state = e.getClass().getSimpleName();
            message = e.getMessage();
        }
        ops.add(new Op(write, start, System.nanoTime(), state, 0, false, autoCommit, false));
        firstMessages.putIfAbsent((write ? "write:" : "read:") + state, String.valueOf(message));
        return false;
    }

    /** The operations that ended in {@code [fromNanos, toNanos)}, in no particular order. */
    List<Op> between(long fromNanos, long toNanos) {
        List<Op> l = new ArrayList<>();
        for (Op op : ops) {
            if (op.endNanos() - fromNanos >= 0 && op.endNanos() - toNanos < 0) {
                l.add(op);
            }
        }
        return l;
    }

    /** Drops the operations that ended before {@code nanos}, to bound memory over a long run. */
    void forget(long nanos) {
        for (Iterator<Op> it = ops.iterator(); it.hasNext();) {
            if (it.next().endNanos() - nanos < 0) {
                it.remove();
            }
        }
    }

    /** Stops the threads and waits for them (an operation in flight is allowed to finish). */
    @Override
    public void close() {
        stop = true;
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The first message seen for each {@code write:STATE} / {@code read:STATE}, to explain the counts. */
    Map<String, String> firstMessages() {
        return new TreeMap<>(firstMessages);
    }
}
