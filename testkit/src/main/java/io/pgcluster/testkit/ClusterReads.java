package io.pgcluster.testkit;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What the cluster says about itself: Patroni's REST API ({@code GET /cluster}, {@code /config}, {@code /patroni})
 * asked on the first node that answers, and PostgreSQL's own word where the REST API can lag behind. Reads only; the
 * waits here poll until the answer is the one wanted.
 *
 * <p>Thread-safe (stateless over {@link ClusterParts}).
 */
final class ClusterReads {
    static final Duration REST_TIMEOUT = Duration.ofSeconds(3);
    static final Duration OP_TIMEOUT = Duration.ofSeconds(60);
    private static final String HOST = PatroniCluster.HOST;

    private final ClusterParts parts;
    private final List<PatroniNode> nodes;
    private final PatroniRest rest;

    ClusterReads(ClusterParts parts) {
        this.parts = parts;
        this.nodes = parts.nodes;
        this.rest = parts.rest;
    }

    /** See {@link PatroniCluster#restClusterJson()}. */
    String restClusterJson() {
        return firstAnswer("/cluster");
    }

    /** How long {@link #leader()} asks again while a view shows no leader. */
    private static final Duration LEADER_VISIBLE = Duration.ofSeconds(15);

    /** The body of {@code GET path} from the first running node whose REST API answers it. */
    private String firstAnswer(String path) {
        List<String> errors = new ArrayList<>();
        for (PatroniNode n : nodes) {
            if (!n.isRunning()) {
                errors.add(n.name() + ": not running");
                continue;
            }
            try {
                PatroniRest.Response r = rest.get(n.restUrl() + path, REST_TIMEOUT);
                if (r.ok()) {
                    return r.body;
                }
                errors.add(n.name() + ": " + r);
            } catch (IOException e) {
                errors.add(n.name() + ": " + e);
            }
        }
        throw new TestkitException("No Patroni REST API answered GET " + path + ": " + String.join("; ", errors));
    }

    ClusterView view() {
        return ClusterView.parse(restClusterJson());
    }

    /** See {@link PatroniCluster#leader()}. */
    PatroniNode leader() {
        // seen in CI: right after a switchover the demoted node's REST API answered /cluster with itself alone
        return Await.until("a leader in GET /cluster", LEADER_VISIBLE, () -> {
            ClusterView v = view();
            ClusterView.Member m = v.leader();
            if (m == null) {
                throw new Await.NotYet("no leader in GET /cluster: " + v);
            }
            return parts.node(m.name);
        });
    }

    /** See {@link PatroniCluster#replicas()}. */
    List<PatroniNode> replicas() {
        ClusterView v = view();
        List<PatroniNode> r = new ArrayList<>();
        for (ClusterView.Member m : v.members) {
            if (m.isReplica() && m.isUp()) {
                PatroniNode n = parts.node(m.name);
                if (n.isRunning()) {
                    r.add(n);
                }
            }
        }
        return Collections.unmodifiableList(r);
    }

    /** The leader once it accepts writes; NotYet while there is none, Abort when no Patroni runs at all. */
    PatroniNode probeWritableLeader() throws Exception {
        if (nodes.stream().noneMatch(PatroniNode::isRunning)) {
            throw new Await.Abort("no Patroni process is running; see the logs");
        }
        ClusterView v = view();
        ClusterView.Member m = v.leader();
        if (m == null || !m.isUp()) {
            throw new Await.NotYet("no running leader in GET /cluster: " + v);
        }
        PatroniNode leader = parts.node(m.name);
        try (Connection c = parts.connectSuperuser(leader)) {
            if (!"f".equals(Sql.scalar(c, "select pg_is_in_recovery()"))) {
                throw new Await.NotYet(leader.name() + " holds the leader key but pg_is_in_recovery() is still true");
            }
        }
        return leader;
    }

    /** See {@link PatroniCluster#awaitLeaderOtherThan(String, Duration)}. */
    PatroniNode awaitLeaderOtherThan(String oldLeader, Duration timeout) {
        return Await.until("a writable leader other than " + oldLeader, timeout, () -> {
            PatroniNode l = probeWritableLeader();
            if (l.name().equals(oldLeader)) {
                throw new Await.NotYet(oldLeader + " is still the leader");
            }
            return l;
        });
    }

    /** See {@link PatroniCluster#dynamicConfig()}. */
    Map<String, Object> dynamicConfig() {
        return Collections.unmodifiableMap(Json.parseObject(firstAnswer("/config")));
    }

    /** Waits until every running member reports this pause state in {@code GET /patroni}. */
    void awaitPause(boolean paused) {
        Await.until("every running member to report pause=" + paused + " in GET /patroni", OP_TIMEOUT, () -> {
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                Map<String, Object> status = Json.parseObject(rest.get(n.restUrl() + "/patroni", REST_TIMEOUT).body);
                boolean p = Boolean.TRUE.equals(status.get("pause"));
                if (p != paused) {
                    throw new Await.NotYet(n.name() + " reports pause=" + p);
                }
            }
            return Boolean.TRUE;
        });
    }

    /** Where a new app-user connection through a port (HAProxy, PgBouncer, proxy, node) ends up. */
    Route route(int port) throws SQLException {
        try (Connection c = Sql.connect(HOST, port, Secrets.APP_DATABASE, Secrets.APP_USER, parts.secrets.appPassword, 3, 5);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            int serverPort = rs.getInt(1);
            boolean inRecovery = rs.getBoolean(2);
            String reached = nodes.stream().filter(n -> n.pgPort() == serverPort).map(PatroniNode::name).findFirst()
                    .orElse("port " + serverPort);
            return new Route(reached, inRecovery);
        }
    }
}
