package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source that looks at the cluster every {@code interval}, and at once on {@link #refresh()} (coalesced: a
 * burst of refresh requests causes one extra poll).
 */
abstract class PollingSource implements TopologySource {
    private static final Logger log = LoggerFactory.getLogger(PollingSource.class);

    private final ScheduledExecutorService executor;
    private final Duration interval;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private volatile ClusterView view;
    private volatile ScheduledFuture<?> schedule;
    private volatile boolean closed;

    PollingSource(ScheduledExecutorService executor, Duration interval) {
        this.executor = executor;
        this.interval = interval;
    }

    /** Looks at the cluster once and publishes what it found (or that it found nothing). */
    abstract void poll(ClusterView view);

    @Override
    public void start(ClusterView view) {
        this.view = view;
        schedule = executor.scheduleWithFixedDelay(this::safePoll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void refresh() {
        if (view != null && !closed && refreshQueued.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    refreshQueued.set(false);
                    safePoll();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                refreshQueued.set(false);
            }
        }
    }

    private void safePoll() {
        if (closed) {
            return;
        }
        try {
            poll(view);
        } catch (RuntimeException e) {
            log.warn("pgcluster {}: polling {} failed", view.cluster(), describe(), e);
            view.sourceUnreachable(describe() + ": " + e);
        }
    }

    /**
     * Stops polling: aborts a poll in progress ({@link #abortPoll()}), so that closing never waits for a slow
     * server, then releases what the polls hold open on the topology thread.
     */
    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> s = schedule;
        if (s != null) {
            s.cancel(false);
        }
        abortPoll();
        Tasks.runOn(executor, this::closeResources, 10_000);
    }

    /** Whether {@link #close()} was called: a poll stops at its next step and publishes nothing more. */
    final boolean isClosed() {
        return closed;
    }

    /**
     * Makes a poll in progress end at once (closes its sockets); called by {@link #close()} on the closing thread,
     * after {@link #isClosed()} has become true.
     */
    void abortPoll() {
    }

    /** Releases what the polls hold open (connections); runs on the topology thread when closing. */
    void closeResources() {
    }
}
