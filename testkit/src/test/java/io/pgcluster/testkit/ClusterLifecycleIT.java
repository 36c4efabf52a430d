package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** A cluster of its own (builder API, defaults): comes up healthy, and leaves nothing behind on close. */
@Order(1)
class ClusterLifecycleIT {
    @Test
    void startsHealthyWithRealAuthenticationAndLeavesNothingBehind() throws Exception {
        PatroniCluster c = PatroniCluster.builder().scope("lifecycle").start();
        Path dir = c.baseDir();
        List<ProcessHandle> processes;
        try {
            System.out.printf("bring-up of 3 nodes (etcd + Patroni + PostgreSQL 15): %d ms%n", c.bringUpTime().toMillis());
            assertThat(c.bringUpTime()).isLessThan(Duration.ofSeconds(60));
            assertThat(c.nodes()).extracting(PatroniNode::name).containsExactly("pg1", "pg2", "pg3");

            PatroniNode leader = c.leader();
            List<PatroniNode> replicas = c.replicas();
            assertThat(replicas).hasSize(2).doesNotContain(leader);
            try (Connection s = c.connectSuperuser(leader)) {
                assertThat(Sql.scalar(s, "select pg_is_in_recovery()")).isEqualTo("f");
                assertThat(Sql.scalar(s, "select string_agg(application_name, ',' order by application_name) "
                        + "from pg_stat_replication where state = 'streaming'"))
                        .isEqualTo(replicas.stream().map(PatroniNode::name).collect(Collectors.joining(",")));
                assertThat(Sql.scalar(s, "show server_version_num")).startsWith("15");
            }
            for (PatroniNode r : replicas) {
                try (Connection s = c.connectSuperuser(r)) {
                    assertThat(Sql.scalar(s, "select pg_is_in_recovery()")).isEqualTo("t");
                }
            }
            // Without fault proxies Patroni publishes the real port.
            ClusterView v = c.view();
            for (PatroniNode n : c.nodes()) {
                assertThat(n.connectPort()).isEqualTo(n.pgPort());
                assertThat(v.member(n.name()).port).isEqualTo(n.pgPort());
                assertThat(n.host()).isEqualTo("127.0.0.1");
                assertThat(n.restUrl()).isEqualTo("http://127.0.0.1:" + n.restPort());
                assertThat(n.logFile()).exists();
                assertThat(n.dataDir()).isDirectory();
            }
            assertThat(c.etcdClientEndpoint()).isEqualTo(c.etcd().endpoint());
            assertThat(c.dynamicConfig()).containsEntry("ttl", 10L).containsEntry("loop_wait", 2L)
                    .containsEntry("retry_timeout", 4L);

            // The app user: not a superuser, reads all of pg_stat_activity, works on replicas, needs its password.
            PatroniNode replica = replicas.get(0);
            try (Connection app = ItSupport.connectApp(c, replica.pgPort(), 3, 10)) {
                assertThat(Sql.scalar(app, "select current_database() || ' ' || current_user")).isEqualTo("app app");
                assertThat(Sql.scalar(app, "select rolsuper from pg_roles where rolname = current_user")).isEqualTo("f");
                assertThat(Sql.scalar(app, "select pg_is_in_recovery()")).isEqualTo("t");
            }
            try (Connection app = ItSupport.connectApp(c, leader.pgPort(), 3, 10)) {
                assertThat(Sql.scalar(app, "select count(*) from pg_stat_activity where backend_type = 'walsender' "
                        + "and client_addr is not null")).isEqualTo("2");
                ItSupport.execute(app, "create table lifecycle_probe(id int)");
            }
            SQLException wrong = org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class,
                    () -> Sql.connect("127.0.0.1", leader.pgPort(), "app", "app", "wrong-password", 3, 5));
            assertThat(wrong.getSQLState()).isEqualTo("28P01");
            assertThat(wrong.getMessage()).contains("password authentication failed");

            assertThatThrownBy(c::haProxy).isInstanceOf(IllegalStateException.class).hasMessageContaining("withHaProxy");
            assertThatThrownBy(c::pgBouncers).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::etcdFaultProxy).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> c.node("pg9")).hasMessageContaining("pg1, pg2, pg3");
            assertThat(c.dumpLogs(5)).contains("===== etcd", "===== pg1", "===== pg3");

            processes = c.processes();
            // etcd, 3 Patroni, 3 postmasters with their children
            assertThat(processes.size()).isGreaterThan(7);
            assertThat(processes).allMatch(ProcessHandle::isAlive);
        } finally {
            long t0 = System.nanoTime();
            c.close();
            System.out.printf("close: %d ms%n", ItSupport.millisSince(t0));
        }
        assertThat(Signals.awaitGone(processes, Duration.ofSeconds(1))).as("processes alive after close").isEmpty();
        assertThat(dir).doesNotExist();
        c.close(); // idempotent
        assertThatThrownBy(() -> c.awaitHealthy(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> c.node("pg1").start()).isInstanceOf(IllegalStateException.class);
    }
}
