package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunRegistryTest {
    @TempDir
    Path tmp;

    @Test
    void reapsTheProcessesAndFolderOfADeadJvmOnly() throws Exception {
        Process deadOwner = new ProcessBuilder("true").start();
        deadOwner.waitFor();
        Process orphan = new ProcessBuilder("sleep", "60").start();
        Process survivor = new ProcessBuilder("sleep", "60").start();
        try {
            Path stale = Files.createDirectory(tmp.resolve(RunRegistry.PREFIX + "stale"));
            Files.writeString(stale.resolve(RunRegistry.FILE), "owner " + deadOwner.pid() + " 1\n"
                    + "pid " + orphan.pid() + " " + Signals.startMillis(orphan.toHandle()) + " etcd\n");
            Path live = Files.createDirectory(tmp.resolve(RunRegistry.PREFIX + "live"));
            ProcessHandle me = ProcessHandle.current();
            Files.writeString(live.resolve(RunRegistry.FILE), "owner " + me.pid() + " " + Signals.startMillis(me) + "\n"
                    + "pid " + survivor.pid() + " " + Signals.startMillis(survivor.toHandle()) + " etcd\n");
            Path kept = Files.createDirectory(tmp.resolve(RunRegistry.PREFIX + "kept"));
            Files.writeString(kept.resolve(RunRegistry.FILE), "owner " + deadOwner.pid() + " 1\nclosed\n");

            RunRegistry.reapStale(tmp);

            assertThat(orphan.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).as("orphan killed").isTrue();
            assertThat(stale).doesNotExist();
            assertThat(survivor.isAlive()).as("process of a live JVM untouched").isTrue();
            assertThat(live).exists();
            assertThat(kept).as("folder kept on purpose (keepDir)").exists();
        } finally {
            orphan.destroyForcibly();
            survivor.destroyForcibly();
        }
    }

    @Test
    void doesNotKillARecycledPid() throws IOException, InterruptedException {
        Process deadOwner = new ProcessBuilder("true").start();
        deadOwner.waitFor();
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Path stale = Files.createDirectory(tmp.resolve(RunRegistry.PREFIX + "recycled"));
            // same PID, different start time: not the process that was recorded
            Files.writeString(stale.resolve(RunRegistry.FILE), "owner " + deadOwner.pid() + " 1\n"
                    + "pid " + other.pid() + " " + (Signals.startMillis(other.toHandle()) - 60_000) + " etcd\n");
            RunRegistry.reapStale(tmp);
            assertThat(stale).doesNotExist();
            assertThat(Signals.awaitGone(java.util.List.of(other.toHandle()), Duration.ofMillis(300))).isNotEmpty();
        } finally {
            other.destroyForcibly();
        }
    }
}
