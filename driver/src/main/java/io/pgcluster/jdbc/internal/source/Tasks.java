package io.pgcluster.jdbc.internal.source;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands work to the topology thread, which owns a source's state: queued, or run and waited for. */
final class Tasks {
    private static final Logger log = LoggerFactory.getLogger(Tasks.class);

    private Tasks() {
    }

    /** Queues {@code task} on {@code executor}; {@code false} if the executor no longer accepts work (closing). */
    static boolean submit(ScheduledExecutorService executor, Runnable task) {
        try {
            executor.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Runs {@code task} on {@code executor} after what is already queued, waiting up to {@code timeoutMillis}; runs
     * it on the calling thread if the executor no longer accepts work.
     */
    static void runOn(ScheduledExecutorService executor, Runnable task, long timeoutMillis) {
        Future<?> f;
        try {
            f = executor.submit(task);
        } catch (RejectedExecutionException e) {
            task.run();
            return;
        }
        try {
            f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("pgcluster: clean-up on the topology thread did not complete: {}", e.toString());
        }
    }
}
