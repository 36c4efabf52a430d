package io.pgcluster.jdbc;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names and creates pgcluster's threads: daemon, named {@code pgcluster-<cluster>-<role>}. */
final class DaemonThreads implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();
    private final boolean numbered;

    private DaemonThreads(String prefix, boolean numbered) {
        this.prefix = prefix;
        this.numbered = numbered;
    }

    /** A factory of threads named {@code pgcluster-<cluster>-<role>-<n>}. */
    static DaemonThreads numbered(String cluster, String role) {
        return new DaemonThreads("pgcluster-" + cluster + "-" + role + "-", true);
    }

    /** One single-threaded scheduler whose thread is named {@code pgcluster-<cluster>-<role>}. */
    static ScheduledThreadPoolExecutor scheduler(String cluster, String role) {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1,
                new DaemonThreads("pgcluster-" + cluster + "-" + role, false));
        e.setRemoveOnCancelPolicy(true);
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        e.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return e;
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, numbered ? prefix + count.incrementAndGet() : prefix);
        t.setDaemon(true);
        return t;
    }
}
