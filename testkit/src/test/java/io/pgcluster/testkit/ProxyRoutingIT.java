package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** HAProxy and PgBouncer route writes to the primary and reads to replicas, before and after switchovers. */
@Order(2)
@FullRig
class ProxyRoutingIT {
    private final PatroniCluster cluster;

    ProxyRoutingIT(PatroniCluster cluster) { // constructor injection
        this.cluster = cluster;
    }

    @AfterEach
    void restore() {
        cluster.restoreHealthy(Duration.ofMinutes(2));
    }

    private void assertRouting(PatroniNode leader, Duration timeout) throws SQLException {
        assertWriteRouting(leader, timeout);
        assertReadRouting(leader, timeout);
    }

    private void assertWriteRouting(PatroniNode leader, Duration timeout) {
        long t0 = System.nanoTime();
        ItSupport.awaitRoute(cluster, "HAProxy write port", cluster.haProxy().writePort(), leader.name(), false, timeout);
        ItSupport.awaitRoute(cluster, "PgBouncer write port", cluster.pgBouncers().writePort(), leader.name(), false,
                timeout);
        System.out.printf("write ports reach %s after %d ms%n", leader.name(), ItSupport.millisSince(t0));
    }

    private void assertReadRouting(PatroniNode leader, Duration timeout) throws SQLException {
        Set<String> replicas = cluster.replicas().stream().map(PatroniNode::name).collect(Collectors.toSet());
        assertThat(replicas).hasSize(2).doesNotContain(leader.name());
        Set<String> reached = new HashSet<>();
        // HAProxy round-robins over the replicas it has marked UP; a just-demoted primary joins after a check or two.
        Await.until("HAProxy read port to reach every replica " + replicas, timeout, () -> {
            Route r = cluster.route(cluster.haProxy().readPort());
            if (!r.inRecovery) { // possible for ~2 s after a promotion (fall 2 x inter 1s)
                throw new Await.NotYet("HAProxy read port reached a primary: " + r);
            }
            reached.add(r.node);
            return reached.equals(replicas) ? true : null;
        });
        Route viaBouncer = cluster.route(cluster.pgBouncers().readPort());
        assertThat(viaBouncer.inRecovery).isTrue();
        assertThat(replicas).contains(viaBouncer.node);
    }

    @Test
    void writeAndReadPortsFollowASwitchoverToAGivenMember() throws Exception {
        PatroniNode old = cluster.leader();
        assertRouting(old, Duration.ofSeconds(10));

        PatroniNode target = cluster.replicas().get(0);
        long t0 = System.nanoTime();
        PatroniNode now = cluster.switchover(target.name());
        System.out.printf("switchover %s -> %s: new leader writable after %d ms%n", old.name(), now.name(),
                ItSupport.millisSince(t0));
        assertThat(now).isSameAs(target);
        try (Connection c = cluster.connectSuperuser(now)) {
            assertThat(Sql.scalar(c, "select pg_is_in_recovery()")).isEqualTo("f");
        }
        assertWriteRouting(now, Duration.ofSeconds(30));

        cluster.awaitHealthy(Duration.ofSeconds(60));
        assertThat(cluster.replicas()).contains(old);
        assertReadRouting(now, Duration.ofSeconds(30));
        try (Connection c = cluster.connectSuperuser(old)) {
            assertThat(Sql.scalar(c, "select pg_is_in_recovery()")).as("old primary rejoined as a replica").isEqualTo("t");
        }
    }

    @Test
    void switchoverToAnyReplicaAndDataFlowsThroughPgBouncer() throws Exception {
        PatroniNode old = cluster.leader();
        PatroniNode now = cluster.switchover();
        assertThat(now).isNotEqualTo(old);
        cluster.awaitHealthy(Duration.ofSeconds(60));
        assertThat(cluster.leader()).isEqualTo(now);
        assertThat(cluster.replicas()).contains(old);

        String marker = "m" + System.nanoTime();
        try (Connection w = ItSupport.connectApp(cluster, cluster.pgBouncers().writePort(), 3, 10)) {
            ItSupport.execute(w, "create table if not exists routing_probe(v text)");
            ItSupport.execute(w, "insert into routing_probe values ('" + marker + "')");
        }
        Await.until("the row to replicate to the replica behind the read PgBouncer", Duration.ofSeconds(20), () -> {
            try (Connection r = ItSupport.connectApp(cluster, cluster.pgBouncers().readPort(), 3, 10)) {
                return Sql.scalar(r, "select v from routing_probe where v = '" + marker + "'");
            }
        });
    }
}
