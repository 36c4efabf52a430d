package io.pgcluster.jdbc;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;

/** Creates pgcluster's own threads: daemon, named {@code pgcluster-<cluster>-<role>}. */
final class DaemonThreads implements ThreadFactory {
    private final String name;

    private DaemonThreads(String name) {
        this.name = name;
    }

    /** One single-threaded scheduler whose thread is named {@code pgcluster-<cluster>-<role>}. */
    static ScheduledThreadPoolExecutor scheduler(String cluster, String role) {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1,
                new DaemonThreads("pgcluster-" + cluster + "-" + role));
        e.setRemoveOnCancelPolicy(true);
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        e.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return e;
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
