package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the roles of a fixed list of PostgreSQL servers by asking each one {@code pg_is_in_recovery()} every
 * poll interval, for clusters whose DCS and REST API the application cannot reach.
 *
 * <p>It keeps one probe connection per server (the price of having no DCS). The single server not in recovery
 * is the leader; if several claim it (a split brain, or a switchover caught mid-way) there is no leader until
 * one remains, so that no write can go to the wrong one. Replica lag is the leader's current WAL position minus
 * the replica's replay position; without a leader, the most advanced replica is the reference, so that reads go
 * on while writes wait.
 *
 * <p>Each probe is bounded by {@code dcsTimeout} (pgjdbc's connect, login and socket timeouts, at least 1 s).
 * {@link #close()} stops a poll before its next host and aborts a probe query in progress.
 *
 * <p>Thread-safety: polls run on the cluster's topology thread; {@link #close()} may be called from any thread.
 */
final class HostsSource extends PollingSource {
    private static final Logger log = LoggerFactory.getLogger(HostsSource.class);
    private static final String PROBE = "SELECT pg_is_in_recovery(), (CASE WHEN pg_is_in_recovery() "
            + "THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint";

    private final String cluster;
    private final List<HostAndPort> hosts;
    private final ServerConnector connector;
    private final Connection[] probes;
    private volatile Connection inFlight;

    HostsSource(String cluster, List<HostAndPort> hosts, ServerConnector connector, Duration timeout,
            Duration interval, ScheduledExecutorService executor) {
        super(executor, interval);
        this.cluster = cluster;
        this.hosts = hosts;
        this.connector = connector.withTimeouts(timeout);
        this.probes = new Connection[hosts.size()];
    }

    @Override
    void poll(ClusterView view) {
        boolean[] reached = new boolean[hosts.size()];
        boolean[] recovery = new boolean[hosts.size()];
        long[] lsn = new long[hosts.size()];
        StringBuilder problems = new StringBuilder();
        List<Integer> primaries = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            if (isClosed()) {
                return; // closing: the other hosts need not be asked, and nothing is published
            }
            try {
                probe(i, recovery, lsn);
                reached[i] = true;
                if (!recovery[i]) {
                    primaries.add(i);
                }
            } catch (SQLException e) {
                if (isClosed()) {
                    return;
                }
                closeProbe(i);
                problems.append(problems.length() == 0 ? "" : "; ").append(hosts.get(i)).append(": ")
                        .append(e.getMessage());
            }
        }
        if (primaries.isEmpty() && problems.length() > 0 && allFalse(reached)) {
            view.sourceUnreachable("no PostgreSQL server answered: " + problems);
            return;
        }
        if (primaries.size() > 1) {
            log.warn("pgcluster {}: {} servers claim to be primary ({}); no leader until one remains", cluster,
                    primaries.size(), primaries.stream().map(hosts::get).toList());
        }
        int leader = primaries.size() == 1 ? primaries.get(0) : -1;
        // Without a leader nothing is written: measure replicas against the most advanced one, so reads go on.
        long reference = -1;
        for (int i = 0; i < hosts.size(); i++) {
            if (reached[i] && (leader < 0 ? recovery[i] : i == leader)) {
                reference = Math.max(reference, lsn[i]);
            }
        }
        Topology.Builder b = Topology.builder(cluster);
        for (int i = 0; i < hosts.size(); i++) {
            HostAndPort h = hosts.get(i);
            String name = h.toString();
            if (!reached[i]) {
                b.member(new Member(name, h.host(), h.port(), Role.OTHER, "unreachable", -1, -1, -1, Map.of(), null));
                continue;
            }
            long lag = !recovery[i] ? 0 : Math.max(0, reference - lsn[i]);
            Role role = recovery[i] ? Role.REPLICA : Role.PRIMARY;
            b.member(new Member(name, h.host(), h.port(), role, "running", -1, lsn[i], lag, Map.of(), null));
            if (i == leader) {
                b.leader(name);
            }
        }
        view.publish(b.build());
    }

    private void probe(int i, boolean[] recovery, long[] lsn) throws SQLException {
        Connection c = probes[i];
        if (c == null) {
            c = connector.connect(hosts.get(i).host(), hosts.get(i).port());
            probes[i] = c;
        }
        inFlight = c;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(PROBE)) {
            rs.next();
            recovery[i] = rs.getBoolean(1);
            lsn[i] = rs.getLong(2);
        } finally {
            inFlight = null;
        }
    }

    /** Closes the socket of a probe query in progress, so that close() does not wait for a silent server. */
    @Override
    void abortPoll() {
        Connection c = inFlight;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // the poll ends either way; closeResources releases the connection
            }
        }
    }

    private static boolean allFalse(boolean[] a) {
        for (boolean b : a) {
            if (b) {
                return false;
            }
        }
        return true;
    }

    private void closeProbe(int i) {
        Connection c = probes[i];
        probes[i] = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the probe connection is already broken; nothing to release
            }
        }
    }

    @Override
    void closeResources() {
        for (int i = 0; i < probes.length; i++) {
            closeProbe(i);
        }
    }

    @Override
    public String describe() {
        return "PostgreSQL hosts " + hosts;
    }
}
