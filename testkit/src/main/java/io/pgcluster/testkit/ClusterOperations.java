package io.pgcluster.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a test does to a running cluster through Patroni and PostgreSQL: switchover, kill the primary, change the
 * dynamic configuration, reissue certificates. Each waits until the change has happened. Member-level faults (stop,
 * kill, lag) are on {@link PatroniNode}; putting everything back is {@link ClusterHealth#restore(Duration)}.
 *
 * <p>Not synchronized itself: {@link PatroniCluster} runs one control operation at a time.
 */
final class ClusterOperations {
    private static final Logger log = LoggerFactory.getLogger(PatroniCluster.class);
    private static final Duration OP_TIMEOUT = ClusterReads.OP_TIMEOUT;
    private static final Duration REST_TIMEOUT = ClusterReads.REST_TIMEOUT;

    private final ClusterParts parts;
    private final ClusterReads reads;
    private final List<PatroniNode> nodes;
    private final PatroniRest rest;

    ClusterOperations(ClusterParts parts, ClusterReads reads) {
        this.parts = parts;
        this.reads = reads;
        this.nodes = parts.nodes;
        this.rest = parts.rest;
    }

    /** A planned switchover to {@code candidate}, or to the replica Patroni picks when it is null. */
    PatroniNode switchover(String candidate) {
        long t0 = System.nanoTime();
        PatroniNode old = reads.leader();
        if (old.name().equals(candidate)) {
            throw new IllegalArgumentException(candidate + " is already the leader");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("leader", old.name());
        if (candidate != null) {
            body.put("candidate", candidate);
        }
        String what = "switchover from " + old.name() + (candidate == null ? "" : " to " + candidate);
        // Patroni refuses (412/503) while no replica is healthy enough; a just-restored cluster can need a moment.
        Await.until(what + " to be accepted by POST /switchover", OP_TIMEOUT, Duration.ofSeconds(1), () -> {
            PatroniRest.Response r = rest.send("POST", old.restUrl() + "/switchover", Json.write(body),
                    Duration.ofSeconds(45));
            if (r.ok()) {
                return Boolean.TRUE;
            }
            ClusterView.Member now = reads.view().leader();
            if (now != null && !now.name.equals(old.name())) {
                return Boolean.TRUE;
            }
            throw new Await.NotYet("POST /switchover on " + old.name() + ": " + r);
        });
        PatroniNode now = reads.awaitLeaderOtherThan(old.name(), OP_TIMEOUT);
        if (candidate != null && !now.name().equals(candidate)) {
            throw new TestkitException("Patroni switched over to " + now.name() + " instead of " + candidate);
        }
        log.info("switchover {} -> {} done in {}", old.name(), now.name(), Await.millisSince(t0));
        return now;
    }

    /** See {@link PatroniCluster#killPrimary()}. */
    PatroniNode killPrimary() {
        PatroniNode l = reads.leader();
        l.kill9();
        return l;
    }

    /** Maintenance mode on or off, once every running member reports it in {@code GET /patroni}. */
    void pause(boolean on) {
        Map<String, Object> patch = new HashMap<>();
        patch.put("pause", on ? Boolean.TRUE : null); // null removes the key, which is how Patroni ends a pause
        patchConfig(patch);
        reads.awaitPause(on);
    }

    /**
     * Sends a JSON merge patch to {@code PATCH /config} on the first member that takes it, then waits until every
     * running member shows it.
     */
    void patchConfig(Map<String, Object> patch) {
        String body = Json.write(patch);
        Await.until("PATCH /config " + body, OP_TIMEOUT, Duration.ofMillis(500), () -> {
            List<String> errors = new ArrayList<>();
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                PatroniRest.Response r = rest.send("PATCH", n.restUrl() + "/config", body, Duration.ofSeconds(10));
                if (r.ok()) {
                    log.info("dynamic config patched through {}: {}", n.name(), body);
                    return Boolean.TRUE;
                }
                errors.add(n.name() + ": " + r);
            }
            throw new Await.NotYet(errors.isEmpty() ? "no Patroni is running" : String.join("; ", errors));
        });
        // Each Patroni answers GET /config from its own view of the DCS, refreshed once per loop: wait until every
        // running member shows the change, so that callers can read their own write from any of them.
        Await.until("every Patroni to show the patched config " + body, OP_TIMEOUT, Duration.ofMillis(100), () -> {
            for (PatroniNode n : nodes) {
                if (!n.isRunning()) {
                    continue;
                }
                PatroniRest.Response r = rest.get(n.restUrl() + "/config", REST_TIMEOUT);
                if (!r.ok()) {
                    throw new Await.NotYet(n.name() + ": " + r);
                }
                Map<String, Object> shown = Json.parseObject(r.body);
                for (Map.Entry<String, Object> e : patch.entrySet()) {
                    Object want = e.getValue();
                    if (want instanceof Map) {
                        continue; // nested sections: top-level values suffice to see the patch arrived
                    }
                    Object got = shown.get(e.getKey());
                    if (!String.valueOf(want).equals(String.valueOf(got))) {
                        throw new Await.NotYet(n.name() + " shows " + e.getKey() + "=" + got);
                    }
                }
            }
            return Boolean.TRUE;
        });
    }

    /** See {@link PatroniCluster#reissuePostgresCertificates(List, List)}. */
    void reissuePostgresCertificates(List<String> dnsNames, List<String> ips) {
        Certificates ca = parts.requirePostgresTls();
        for (PatroniNode n : nodes) {
            ca.server(n.name(), dnsNames, ips);
        }
        ca.handTo(parts.runAs);
        for (PatroniNode n : nodes) {
            try (Connection c = parts.connectSuperuser(n); Statement s = c.createStatement()) {
                s.execute("SELECT pg_reload_conf()");
            } catch (SQLException e) {
                throw new TestkitException("Cannot reload PostgreSQL on " + n.name() + ": " + e.getMessage(), e);
            }
        }
    }
}
