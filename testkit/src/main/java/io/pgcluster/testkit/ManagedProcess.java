package io.pgcluster.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server process started by the rig: its command, its log file (stdout and stderr, appended across restarts, with
 * a marker line per start) and its PID. Thread-safe.
 */
final class ManagedProcess {
    private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final String name;
    private final List<String> command;
    private final Path workDir;
    private final Path logFile;
    private final Path home;
    private final RunAs runAs;
    private final Consumer<ProcessHandle> onStart;
    private Process process;

    ManagedProcess(String name, List<String> command, Path workDir, Path logFile, Path home, RunAs runAs,
            Consumer<ProcessHandle> onStart) {
        this.name = name;
        this.command = List.copyOf(command);
        this.workDir = workDir;
        this.logFile = logFile;
        this.home = home;
        this.runAs = runAs;
        this.onStart = onStart;
    }

    String name() {
        return name;
    }

    Path logFile() {
        return logFile;
    }

    List<String> command() {
        return command;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        List<String> full = runAs.wrap(command, home);
        try {
            Files.writeString(logFile, String.format("%n===== %s: starting %s as %s%n", LocalDateTime.now().format(TS),
                    name, runAs.user()), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(full)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            process = pb.start();
        } catch (IOException e) {
            throw new TestkitException("Cannot start " + name + " (" + String.join(" ", full) + "): " + e, e);
        }
        log.debug("started {} pid {}: {}", name, process.pid(), String.join(" ", command));
        onStart.accept(process.toHandle());
    }

    synchronized Optional<ProcessHandle> handle() {
        return process == null ? Optional.empty() : Optional.of(process.toHandle());
    }

    /** Whether the process runs; for our own child this is exact (the JDK reaps it, so no zombie state shows). */
    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return handle().map(ProcessHandle::pid).orElse(-1L);
    }

    /** Sends the signal and waits for the exit; SIGKILLs after the timeout. True if it exited within the timeout. */
    boolean stop(String signal, Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null || !p.isAlive()) {
            return true;
        }
        List<ProcessHandle> children = p.toHandle().descendants().collect(Collectors.toList());
        Signals.send(p.toHandle(), signal);
        boolean exited = waitFor(p, timeout);
        if (!exited) {
            log.warn("{} (pid {}) did not exit within {} after SIG{}; sending SIGKILL", name, p.pid(),
                    Await.format(timeout), signal);
            p.destroyForcibly();
            waitFor(p, Duration.ofSeconds(10));
        }
        Signals.killAll(children);
        return exited;
    }

    /** Waits until the process has exited and been reaped; true if it has (or never ran). */
    boolean awaitExit(Duration timeout) {
        Process p;
        synchronized (this) {
            p = process;
        }
        return p == null || waitFor(p, timeout);
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    /** A short tail of the log, for error messages. */
    String tail(int lines) {
        return String.join("\n", LogTail.tail(logFile, lines));
    }
}
