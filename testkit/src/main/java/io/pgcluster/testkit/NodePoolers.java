package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One PgBouncer next to each node ({@link PatroniClusterBuilder#poolerPerNode()}), in transaction pooling mode,
 * forwarding to that node's PostgreSQL only, as deployments that run PgBouncer on every database node do. Each node's
 * Patroni publishes it as the member's {@code proxy_url} ({@code postgresql.proxy_address} in its configuration), so a
 * client that follows the DCS finds it. Clients authenticate with SCRAM as {@link PatroniCluster#user()} or
 * {@link PatroniCluster#superuser()}; each PgBouncer keeps at most {@link #POOL_SIZE} server connections per
 * database and user.
 *
 * <p>A PgBouncer outlives its node's PostgreSQL: {@code kill9()} and {@code stop()} of a node leave it running (its
 * clients then wait up to {@link #QUERY_WAIT_TIMEOUT_SECONDS} for a server, and get an error), as a PgBouncer on a
 * host whose PostgreSQL crashed does.
 *
 * <p>Immutable and thread-safe.
 */
public final class NodePoolers {
    /** Server connections each PgBouncer keeps per database and user ({@code default_pool_size}). */
    public static final int POOL_SIZE = 4;
    /** How long a client waits for a server connection ({@code query_wait_timeout}) before PgBouncer fails it. */
    public static final int QUERY_WAIT_TIMEOUT_SECONDS = 10;

    private final Map<String, Integer> ports; // by node name
    private final List<ManagedProcess> processes;

    private NodePoolers(Map<String, Integer> ports, List<ManagedProcess> processes) {
        this.ports = Collections.unmodifiableMap(ports);
        this.processes = Collections.unmodifiableList(processes);
    }

    /**
     * Writes one PgBouncer configuration per node into {@code dir} and adds {@code proxy_address} to each node's
     * Patroni YAML (the node directories' {@code patroni.yml}).
     *
     * @param ports one free port per node, in node order
     */
    static NodePoolers create(List<PatroniNode> nodes, int[] ports, Path dir, Secrets secrets, Path binary, Path home,
            RunAs runAs, RunRegistry registry) throws IOException {
        Files.createDirectories(dir);
        Path users = dir.resolve("userlist.txt");
        Files.writeString(users, Configs.userlist(secrets), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        Map<String, Integer> byName = new LinkedHashMap<>();
        List<ManagedProcess> processes = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            PatroniNode node = nodes.get(i);
            int port = ports[i];
            Path ini = dir.resolve(node.name() + ".ini");
            Files.writeString(ini, Configs.pgbouncerIni("the PgBouncer next to " + node.name()
                    + " (transaction pooling, Patroni's proxy_address)", port, node.pgPort(), users, "transaction",
                    POOL_SIZE, QUERY_WAIT_TIMEOUT_SECONDS), StandardCharsets.UTF_8);
            Path yml = node.dataDir().resolveSibling("patroni.yml");
            Files.writeString(yml, withProxyAddress(Files.readString(yml), port), StandardCharsets.UTF_8);
            String name = "pgbouncer-" + node.name();
            processes.add(new ManagedProcess(name, List.of(binary.toString(), ini.toString()), dir,
                    dir.resolve(node.name() + ".log"), home, runAs, h -> registry.record(h, name)));
            byName.put(node.name(), port);
        }
        return new NodePoolers(byName, processes);
    }

    /** {@code yaml} with {@code proxy_address} in its {@code postgresql:} section, after {@code connect_address}. */
    static String withProxyAddress(String yaml, int port) {
        String section = "\npostgresql:\n";
        int at = yaml.indexOf(section);
        int line = at < 0 ? -1 : yaml.indexOf("\n  connect_address: ", at);
        if (line < 0) {
            throw new TestkitException("Cannot add proxy_address: no postgresql.connect_address in\n" + yaml);
        }
        int end = yaml.indexOf('\n', line + 1);
        return yaml.substring(0, end + 1) + "  proxy_address: " + PatroniCluster.HOST + ":" + port + "\n"
                + yaml.substring(end + 1);
    }

    /**
     * The port on 127.0.0.1 of the PgBouncer next to {@code node}.
     *
     * @param node a node of this cluster
     * @return the port
     */
    public int port(PatroniNode node) {
        Integer p = ports.get(node.name());
        if (p == null) {
            throw new IllegalArgumentException("No PgBouncer next to " + node.name() + "; nodes: " + ports.keySet());
        }
        return p;
    }

    /**
     * The ports of all PgBouncers by node name.
     *
     * @return node name to port, in node order
     */
    public Map<String, Integer> ports() {
        return ports;
    }

    List<ManagedProcess> processes() {
        return processes;
    }

    @Override
    public String toString() {
        return "PgBouncer per node" + ports;
    }
}
