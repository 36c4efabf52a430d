package io.pgcluster.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the cluster is healthy, and how to make it healthy again after a test's faults: the health probe (Patroni,
 * SQL and the proxies must all agree), and the restore that undoes induced lags, proxy faults, stopped processes and
 * dynamic-configuration changes. Remembers the configuration the cluster booted with and the lags still induced.
 *
 * <p>Thread-safe for {@link #awaitHealthy(Duration)}; {@link #restore(Duration)} runs under the cluster's control
 * lock.
 */
final class ClusterHealth {
    private static final Logger log = LoggerFactory.getLogger(PatroniCluster.class);

    private final ClusterParts parts;
    private final ClusterReads reads;
    private final ClusterOperations ops;
    private final List<PatroniNode> nodes;
    private final HaProxy haProxy;
    private final PgBouncerPair pgBouncers;
    private final List<LagHandle> lags = new CopyOnWriteArrayList<>();
    private volatile Map<String, Object> baselineConfig = Map.of();

    ClusterHealth(ClusterParts parts, ClusterReads reads, ClusterOperations ops) {
        this.parts = parts;
        this.reads = reads;
        this.ops = ops;
        this.nodes = parts.nodes;
        this.haProxy = parts.haProxy;
        this.pgBouncers = parts.pgBouncers;
    }

    /** The dynamic configuration {@link #restore(Duration)} puts back: what the cluster had when it became healthy. */
    void recordBaseline() {
        baselineConfig = reads.dynamicConfig();
    }

    /** See {@link PatroniCluster#awaitHealthy(Duration)}. */
    void awaitHealthy(Duration timeout) {
        String what = "cluster '" + parts.spec.scope + "' to be healthy (1 leader + " + (nodes.size() - 1)
                + " streaming replica(s)" + (haProxy == null ? "" : ", HAProxy" + (pgBouncers == null ? "" : "/PgBouncer")
                + " routing") + ")";
        Await.until(what, timeout, Duration.ofMillis(250), this::probeHealthy);
    }

    private PatroniNode probeHealthy() throws Exception {
        for (PatroniNode n : nodes) {
            if (!n.isRunning()) {
                throw new Await.NotYet(n.name() + ": Patroni is not running");
            }
        }
        ClusterView v = reads.view();
        List<String> expected = nodes.stream().map(PatroniNode::name).sorted().collect(Collectors.toList());
        if (!v.names().equals(expected)) {
            throw new Await.NotYet("GET /cluster lists " + v.names() + ", expected " + expected + ": " + v);
        }
        ClusterView.Member lm = v.leader();
        if (lm == null || !lm.isUp()) {
            throw new Await.NotYet("no running leader in GET /cluster: " + v);
        }
        boolean sync = false;
        for (ClusterView.Member m : v.members) {
            if (m != lm && !(m.isReplica() && m.isUp())) {
                throw new Await.NotYet("member " + m.name + " is " + m.role + "/" + m.state + ": " + v);
            }
            sync |= m.isSyncStandby();
        }
        if (parts.spec.synchronousMode && nodes.size() > 1 && !sync) {
            throw new Await.NotYet("no sync_standby yet in synchronous mode: " + v);
        }
        PatroniNode leader = parts.node(lm.name);
        Set<String> streaming = new HashSet<>();
        try (Connection c = parts.connectSuperuser(leader); Statement s = c.createStatement()) {
            if (!"f".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                throw new Await.NotYet(leader.name() + " is leader in the DCS but pg_is_in_recovery() is true");
            }
            try (ResultSet rs = s.executeQuery(
                    "select application_name from pg_stat_replication where state = 'streaming'")) {
                while (rs.next()) {
                    streaming.add(rs.getString(1));
                }
            }
        }
        for (PatroniNode n : nodes) {
            if (n == leader) {
                continue;
            }
            try (Connection c = parts.connectSuperuser(n)) {
                if (!"t".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                    throw new Await.NotYet(n.name() + " is a replica in the DCS but pg_is_in_recovery() is false");
                }
            }
            if (!streaming.contains(n.name())) {
                throw new Await.NotYet("pg_stat_replication on " + leader.name() + " shows " + streaming
                        + " streaming, not yet " + n.name());
            }
        }
        if (haProxy != null) {
            probeRoute("HAProxy write port " + haProxy.writePort(), haProxy.writePort(), leader);
            if (nodes.size() > 1) {
                probeRoute("HAProxy read port " + haProxy.readPort(), haProxy.readPort(), null);
            }
        }
        if (pgBouncers != null) {
            probeRoute("PgBouncer write port " + pgBouncers.writePort(), pgBouncers.writePort(), leader);
            if (nodes.size() > 1) {
                probeRoute("PgBouncer read port " + pgBouncers.readPort(), pgBouncers.readPort(), null);
            }
        }
        if (parts.nodePoolers != null) {
            probeNodePoolers();
        }
        return leader;
    }

    /** Each node's PgBouncer leads to that node. */
    private void probeNodePoolers() throws Await.NotYet {
        for (PatroniNode n : nodes) {
            int port = parts.nodePoolers.port(n);
            try {
                Route r = reads.route(port);
                if (!r.node.equals(n.name())) {
                    throw new Await.NotYet("the PgBouncer next to " + n.name() + " (port " + port + ") leads to " + r.node);
                }
            } catch (SQLException e) {
                throw new Await.NotYet("the PgBouncer next to " + n.name() + " (port " + port + "): " + e.getMessage());
            }
        }
    }

    /** Checks where a port leads: to {@code leader}, or to some replica when {@code leader} is null. */
    private void probeRoute(String what, int port, PatroniNode leader) throws Await.NotYet {
        Route r;
        try {
            r = reads.route(port);
        } catch (SQLException e) {
            throw new Await.NotYet(what + ": " + e.getMessage());
        }
        if (leader == null && !r.inRecovery) {
            throw new Await.NotYet(what + " reached " + r.node + ", which is not in recovery");
        }
        if (leader != null && (r.inRecovery || !r.node.equals(leader.name()))) {
            throw new Await.NotYet(what + " reached " + r.node + (r.inRecovery ? " (in recovery)" : "")
                    + ", not the leader " + leader.name());
        }
    }

    /** See {@link PatroniCluster#restoreHealthy(Duration)}. */
    void restore(Duration timeout) {
        long t0 = System.nanoTime();
        List<String> actions = new ArrayList<>();
        if (!lags.isEmpty()) {
            actions.add("ended " + lags.size() + " induced lag(s)");
            endLags();
        }
        if (parts.dcsProxy != null) {
            parts.dcsProxy.pass();
            parts.nodeProxies.values().forEach(FaultProxy::pass);
        }
        if (parts.etcd != null && !parts.etcd.isRunning()) {
            actions.add("started etcd");
            parts.etcd.start();
        }
        if (parts.zooKeeper != null && !parts.zooKeeper.isRunning()) {
            actions.add("started ZooKeeper");
            parts.zooKeeper.start();
        }
        if (parts.consul != null && !parts.consul.isRunning()) {
            actions.add("started Consul");
            parts.consul.start();
        }
        for (ManagedProcess p : parts.auxiliaryProcesses()) {
            if (!p.isAlive()) {
                log.warn("{} had exited; restarting it. Log tail:\n{}", p.name(), p.tail(20));
                actions.add("restarted " + p.name());
                p.start();
            }
        }
        for (PatroniNode n : nodes) {
            if (!n.isRunning()) {
                actions.add("started " + n.name());
                n.start();
            }
        }
        Map<String, Object> current = Await.until("GET /config to answer", timeout, () -> {
            try {
                return reads.dynamicConfig();
            } catch (TestkitException e) {
                throw new Await.NotYet(e.getMessage());
            }
        });
        Map<String, Object> patch = Json.mergePatch(current, baselineConfig);
        if (!patch.isEmpty()) {
            actions.add("restored dynamic config " + Json.write(patch));
            ops.patchConfig(patch);
            if (Boolean.TRUE.equals(current.get("pause"))) {
                reads.awaitPause(false);
            }
        }
        awaitHealthy(timeout.minusNanos(System.nanoTime() - t0));
        if (!actions.isEmpty()) {
            log.info("cluster restored in {}: {}", Await.millisSince(t0), String.join(", ", actions));
        }
    }

    void register(LagHandle lag) {
        lags.add(lag);
    }

    void endLags() {
        for (LagHandle l : lags) {
            l.close();
        }
        lags.clear();
    }
}
