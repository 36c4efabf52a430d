package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Signals to processes, always by PID through a {@link ProcessHandle} (which also guards against PID reuse); never by
 * process name.
 */
final class Signals {
    private static final String KILL = Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "/usr/bin/kill";

    private Signals() {}

    /** TERM, KILL through the JDK; other signals (INT, QUIT, STOP, CONT) through kill(1). Returns false if gone. */
    static boolean send(ProcessHandle h, String signal) {
        if (!isRunning(h)) {
            return false;
        }
        switch (signal) {
            case "TERM":
                return h.destroy();
            case "KILL":
                return h.destroyForcibly();
            default:
                return RunAs.run(List.of(KILL, "-s", signal, Long.toString(h.pid()))) == 0;
        }
    }

    /** The handle of a live process with this PID, or empty. */
    static Optional<ProcessHandle> live(long pid) {
        return pid <= 0 ? Optional.empty() : ProcessHandle.of(pid).filter(Signals::isRunning);
    }

    /** The process and all its descendants, captured now (before anything is killed and reparented). */
    static List<ProcessHandle> tree(ProcessHandle h) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(h);
        all.addAll(h.descendants().collect(Collectors.toList()));
        return all;
    }

    /**
     * Alive and not a zombie. Postmasters are reparented to PID 1, which may reap them late (in containers PID 1 is
     * often not an init); {@link ProcessHandle#isAlive()} is true for a zombie.
     */
    static boolean isRunning(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return h.isAlive();
        }
    }

    /** Waits until all are gone (exited or zombies); returns those still running at the deadline. */
    static List<ProcessHandle> awaitGone(Collection<ProcessHandle> handles, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ProcessHandle> alive = handles.stream().filter(Signals::isRunning).collect(Collectors.toList());
            if (alive.isEmpty() || System.nanoTime() - deadline >= 0) {
                return alive;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return alive;
            }
        }
    }

    /** SIGKILLs whatever of these is still alive and waits briefly. */
    static List<ProcessHandle> killAll(Collection<ProcessHandle> handles) {
        handles.forEach(h -> send(h, "KILL"));
        return awaitGone(handles, Duration.ofSeconds(10));
    }

    static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
