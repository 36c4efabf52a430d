package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file {@code testkit.pids} in a cluster folder: the owning JVM and every process the rig started, each with its
 * start time. If a JVM dies without running its shutdown hook (SIGKILL, a killed forked test JVM), the next cluster
 * started from the same temp folder finds the orphans through this file and stops them — by PID, after checking that
 * the PID still belongs to the recorded process — and deletes the folder.
 */
final class RunRegistry {
    static final String FILE = "testkit.pids";
    static final String PREFIX = "pgcluster-testkit-";
    private static final Logger log = LoggerFactory.getLogger(RunRegistry.class);

    private final Path file;

    RunRegistry(Path dir) {
        this.file = dir.resolve(FILE);
        ProcessHandle me = ProcessHandle.current();
        append("owner " + me.pid() + " " + Signals.startMillis(me));
    }

    synchronized void record(ProcessHandle h, String label) {
        append("pid " + h.pid() + " " + Signals.startMillis(h) + " " + label);
    }

    synchronized void markClosed() {
        append("closed");
    }

    private void append(String line) {
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            log.warn("cannot write {}: {}", file, e.toString());
        }
    }

    /** Stops the processes of dead JVMs' clusters in {@code parent} and deletes their folders. */
    static void reapStale(Path parent) {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path dir : dirs) {
                Path f = dir.resolve(FILE);
                if (Files.isRegularFile(f)) {
                    reapIfStale(dir, Files.readAllLines(f, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            log.debug("cannot scan {} for stale clusters: {}", parent, e.toString());
        }
    }

    private static void reapIfStale(Path dir, List<String> lines) {
        if (lines.isEmpty() || lines.contains("closed")) {
            return; // being created, or closed with keepDir
        }
        String[] owner = lines.get(0).split(" ");
        if (owner.length < 3 || !owner[0].equals("owner")) {
            return;
        }
        if (isSameProcess(Long.parseLong(owner[1]), Long.parseLong(owner[2])).isPresent()) {
            return; // its JVM is alive
        }
        List<ProcessHandle> victims = new ArrayList<>();
        for (String line : lines) {
            String[] p = line.split(" ");
            if (p.length >= 3 && p[0].equals("pid")) {
                isSameProcess(Long.parseLong(p[1]), Long.parseLong(p[2])).ifPresent(h -> victims.addAll(Signals.tree(h)));
            }
        }
        // Postmasters are not children of Patroni (they are reparented); find them through their data directories.
        try (DirectoryStream<Path> nodes = Files.newDirectoryStream(dir)) {
            for (Path node : nodes) {
                PatroniNode.postmasterOf(node.resolve("data")).ifPresent(h -> victims.addAll(Signals.tree(h)));
            }
        } catch (IOException ignored) {
            // best effort
        }
        log.warn("found the folder {} of a test JVM (pid {}) that died without cleaning up: stopping its {} process(es)"
                + " by PID and deleting the folder", dir, owner[1], victims.size());
        Signals.killAll(victims);
        deleteTree(dir);
    }

    private static Optional<ProcessHandle> isSameProcess(long pid, long startMillis) {
        return Signals.live(pid).filter(h -> startMillis == 0 || Signals.startMillis(h) == startMillis);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            log.warn("could not delete {} completely: {}", dir, e.toString());
        }
    }

    private static void deleteIfExists(Path p) throws IOException {
        try {
            Files.deleteIfExists(p);
        } catch (NoSuchFileException ignored) {
            // a dying process removed it
        }
    }
}
