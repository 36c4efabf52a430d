package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a cluster from the DCS and has Patroni create it again, as Patroni documents it: stop every member,
 * {@code patronictl remove <scope>}, empty every data directory, give every member's patroni.yml the bootstrap it
 * should run (a restore from backups, {@link PgBackRest#restoreTo}; or initdb again,
 * {@link PatroniCluster#bootstrapAnew}), and start them all. The member that wins the DCS's {@code initialize} key
 * bootstraps; the others then create their replicas from it.
 *
 * <p>Each rewrite starts from the patroni.yml the rig wrote ({@code patroni.yml.orig}, saved by the first rebuild).
 * Not thread-safe: one rebuild at a time, under the cluster's control lock or in a test's own thread.
 */
public final class ClusterRebuild {
    private static final Logger log = LoggerFactory.getLogger(ClusterRebuild.class);

    /**
     * What a rebuild took, each from its start: members stopped, cluster removed from the DCS, a leader writable,
     * the cluster healthy; and which member became the leader.
     */
    public record Timings(Duration stopped, Duration removed, Duration leaderWritable, Duration healthy,
            String leader) {
    }

    private ClusterRebuild() {
    }

    /** @param patroniYaml a member's patroni.yml as the rig wrote it, to what this rebuild needs */
    static Timings run(PatroniCluster cluster, ClusterParts parts, String what, BiFunction<PatroniNode, String, String> patroniYaml,
            Duration timeout) {
        long t0 = System.nanoTime();
        List<PatroniNode> replicas = cluster.replicas();
        PatroniNode oldLeader = cluster.leader();
        // replicas first, so that none of them takes over from the leader in the meantime
        CompletableFuture.allOf(replicas.stream().map(n -> CompletableFuture.runAsync(n::stop))
                .toArray(CompletableFuture[]::new)).join();
        oldLeader.stop();
        Duration stopped = Duration.ofNanos(System.nanoTime() - t0);
        removeFromDcs(parts);
        Duration removed = Duration.ofNanos(System.nanoTime() - t0);
        for (PatroniNode n : parts.nodes) {
            emptyDirectory(n.dataDir());
            Path yml = parts.baseDir.resolve(n.name()).resolve("patroni.yml");
            Path original = yml.resolveSibling("patroni.yml.orig");
            try {
                if (!Files.exists(original)) {
                    Files.copy(yml, original);
                }
                Files.writeString(yml, patroniYaml.apply(n, Files.readString(original, StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new TestkitException("Cannot rewrite " + yml + ": " + e, e);
            }
        }
        parts.runAs.own(parts.baseDir);
        log.info("cluster '{}' removed from the DCS; {}", parts.spec.scope, what);
        parts.nodes.forEach(PatroniNode::start);
        PatroniNode leader = Await.until("a writable leader (" + what + ")", timeout, Duration.ofMillis(200), () -> {
            PatroniNode l = cluster.leader();
            try (Connection c = parts.connectSuperuser(l)) {
                if (!"f".equals(Sql.scalar(c, "SELECT pg_is_in_recovery()"))) {
                    throw new Await.NotYet(l.name() + " is still in recovery");
                }
                return l;
            }
        });
        Duration writable = Duration.ofNanos(System.nanoTime() - t0);
        cluster.awaitHealthy(timeout);
        Duration healthy = Duration.ofNanos(System.nanoTime() - t0);
        log.info("cluster '{}' rebuilt ({}): {} writable after {}, healthy after {}", parts.spec.scope, what,
                leader.name(), Await.format(writable), Await.format(healthy));
        return new Timings(stopped, removed, writable, healthy, leader.name());
    }

    /** {@code patronictl remove <scope>}, answering its two confirmations. */
    private static void removeFromDcs(ClusterParts parts) {
        Path yml = parts.baseDir.resolve(parts.nodes.get(0).name()).resolve("patroni.yml");
        List<String> command = parts.runAs.wrap(List.of(Setting.PATRONICTL.executable().toString(), "-c",
                yml.toString(), "remove", parts.spec.scope), parts.baseDir.resolve("home"));
        String answers = parts.spec.scope + "\nYes I am aware\n";
        String out = exec(command, answers, Duration.ofSeconds(60), "patronictl remove " + parts.spec.scope,
                parts.baseDir);
        log.debug("patronictl remove: {}", out);
    }

    /** Runs a command with {@code stdin}; returns its output (stdout and stderr), or throws with it. */
    static String exec(List<String> command, String stdin, Duration timeout, String what, Path dir) {
        try {
            Path out = Files.createTempFile(dir, "cmd-", ".out");
            try {
                Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                try (var in = p.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(StandardCharsets.UTF_8));
                    }
                }
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new TestkitException(what + " did not finish within " + Await.format(timeout) + ":\n"
                            + String.join("\n", LogTail.tail(out, 30)));
                }
                String text = Files.readString(out, StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    throw new TestkitException(what + " failed (exit " + p.exitValue() + "):\n" + text);
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new TestkitException("Cannot run " + what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while running " + what, e);
        }
    }

    /** Deletes what is inside {@code dir} and keeps the folder itself (its owner and mode 0700 stay). */
    private static void emptyDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (!d.equals(dir)) {
                        Files.delete(d);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new TestkitException("Cannot empty " + dir + ": " + e, e);
        }
    }
}
