package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A cluster of its own with ZooKeeper as Patroni's DCS: comes up healthy, Patroni's keys are in ZooKeeper (read with
 * kazoo, the client Patroni itself uses), a switchover moves the leader key, and close() leaves nothing behind.
 */
@Order(1)
class ZooKeeperDcsIT {
    private static final String READ_KEYS = String.join("\n",
            "import sys",
            "from kazoo.client import KazooClient",
            "zk = KazooClient(hosts=sys.argv[1])",
            "zk.start(timeout=10)",
            "p = sys.argv[2]",
            "data, stat = zk.get(p + '/leader')",
            "print(data.decode() + ' ' + ('ephemeral' if stat.ephemeralOwner else 'persistent'))",
            "print(','.join(sorted(zk.get_children(p + '/members'))))",
            "zk.stop()",
            "");

    @Test
    void zooKeeperBackedClusterComesUpHealthyAndSwitchesOver() throws Exception {
        PatroniCluster c = PatroniCluster.builder().scope("zk-lifecycle").dcs(Dcs.ZOOKEEPER).start();
        Path dir = c.baseDir();
        List<ProcessHandle> processes;
        try {
            System.out.printf("bring-up of 3 nodes (ZooKeeper + Patroni + PostgreSQL 15): %d ms%n",
                    c.bringUpTime().toMillis());
            assertThat(c.dcs()).isEqualTo(Dcs.ZOOKEEPER);
            assertThat(c.zooKeeper().isRunning()).isTrue();
            assertThat(c.zooKeeperClientAddress()).isEqualTo(c.zooKeeper().connectString());
            assertThat(c.zooKeeper().fourLetterWord("srvr")).contains("Mode: standalone");
            assertThat(c.zooKeeper().fourLetterWord("stat")).as("not whitelisted").doesNotContain("Mode:");
            assertThat(Files.readString(c.node("pg1").logFile().resolveSibling("patroni.yml")))
                    .contains("zookeeper:\n  hosts: ['" + c.zooKeeper().connectString() + "']\n")
                    .doesNotContain("etcd");
            assertThat(dir.resolve("etcd")).doesNotExist();

            PatroniNode leader = c.leader();
            try (Connection s = c.connectSuperuser(leader)) {
                assertThat(Sql.scalar(s, "select pg_is_in_recovery()")).isEqualTo("f");
                assertThat(Sql.scalar(s, "select count(*) from pg_stat_replication where state = 'streaming'"))
                        .isEqualTo("2");
            }
            assertThat(readKeys(c)).containsExactly(leader.name() + " ephemeral", "pg1,pg2,pg3");

            assertThatThrownBy(c::etcd).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("ZOOKEEPER").hasMessageContaining("Dcs.ETCD");
            assertThatThrownBy(c::etcdClientEndpoint).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(c::zooKeeperFaultProxy).isInstanceOf(IllegalStateException.class);
            assertThat(c.dumpLogs(5)).contains("===== zookeeper", "===== pg1");

            PatroniNode next = c.switchover();
            assertThat(next).isNotEqualTo(leader);
            assertThat(c.leader()).isEqualTo(next);
            assertThat(readKeys(c).get(0)).isEqualTo(next.name() + " ephemeral");
            c.awaitHealthy(Duration.ofMinutes(2)); // the old leader streams from the new one
            processes = c.processes();
            assertThat(processes).anyMatch(p -> p.pid() == c.zooKeeper().process().pid());
        } finally {
            c.close();
        }
        assertThat(Signals.awaitGone(processes, Duration.ofSeconds(1))).as("processes alive after close").isEmpty();
        assertThat(dir).doesNotExist();
    }

    /** The leader key (value and whether it is ephemeral) and the member names, read with kazoo. */
    private static List<String> readKeys(PatroniCluster c) throws Exception {
        Process p = new ProcessBuilder(Setting.PYTHON.value(), "-c", READ_KEYS, c.zooKeeperClientAddress(),
                c.namespace() + "/" + c.scope()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kazoo: %s", out).isZero();
        return List.of(out.split("\n"));
    }
}
