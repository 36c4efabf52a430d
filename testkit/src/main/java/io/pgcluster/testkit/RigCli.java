package io.pgcluster.testkit;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Command line for the rig, for manual poking and demos. Not thread-safe; run it as a program.
 *
 * <pre>
 * mvn -q -pl testkit compile exec:java -Dexec.args=up      # start, print endpoints, write rig.env, wait for Ctrl-C
 * mvn -q -pl testkit compile exec:java -Dexec.args=demo    # start, switch over, print topology and timings, stop
 * options: --nodes N   --checks tight|patroni-docs   --fault-proxies   --pooler-per-node   --monitoring DIR
 * </pre>
 *
 * <p>{@code --pooler-per-node} adds a PgBouncer next to each node, published by Patroni as the member's
 * {@code proxy_url} ({@link NodePoolers}); {@code rig.env} then has each one's port and a {@code pooler=node} URL.
 *
 * <p>{@code --monitoring DIR} adds the exporters and a Prometheus running the configuration in {@code DIR} (e.g. the
 * absolute path of docs/deploy/prometheus), see {@link Monitoring}.
 */
public final class RigCli {
    private static final PrintStream OUT = System.out;

    private RigCli() {}

    /**
     * Runs {@code up} or {@code demo}.
     *
     * @param args the command and its options
     * @throws Exception if the rig fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("up") || args[0].equals("demo"))) {
            OUT.println("usage: RigCli up|demo [--nodes N] [--checks tight|patroni-docs] [--fault-proxies] "
                    + "[--pooler-per-node] [--monitoring PROMETHEUS_CONFIG_DIR]");
            OUT.println("  up    start etcd, Patroni/PostgreSQL 15, HAProxy and PgBouncer; print the endpoints; write");
            OUT.println("        <baseDir>/rig.env; keep running until Ctrl-C, then stop everything and clean up");
            OUT.println("  demo  start the rig, print the topology, switch over, print it again with timings, stop");
            if (args.length > 0) {
                throw new IllegalArgumentException("unknown command '" + args[0] + "'");
            }
            return;
        }
        PatroniClusterBuilder b = PatroniCluster.builder().withPgBouncer(true);
        Path prometheusConfig = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--nodes":
                    b.nodes(Integer.parseInt(value(args, ++i, "--nodes")));
                    break;
                case "--checks":
                    b.haProxyChecks(HaProxyChecks.valueOf(value(args, ++i, "--checks").toUpperCase(Locale.ROOT)
                            .replace('-', '_')));
                    break;
                case "--fault-proxies":
                    b.withFaultProxies(true);
                    break;
                case "--pooler-per-node":
                    b.poolerPerNode();
                    break;
                case "--monitoring":
                    prometheusConfig = Path.of(value(args, ++i, "--monitoring")).toAbsolutePath();
                    b.withMonitoring(true);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        if (args[0].equals("up")) {
            up(b, prometheusConfig);
        } else {
            demo(b);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static void up(PatroniClusterBuilder b, Path prometheusConfig) throws IOException, InterruptedException {
        PatroniCluster cluster = b.start();
        if (prometheusConfig != null) {
            cluster.monitoring().startPrometheus(prometheusConfig, text -> text);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            OUT.println("\nStopping the rig and deleting " + cluster.baseDir() + " ...");
            long t0 = System.nanoTime();
            cluster.close();
            OUT.printf("Stopped and cleaned up in %d ms.%n", ms(t0, System.nanoTime()));
        }, "rig-cli-stop"));
        OUT.println();
        OUT.printf("Rig is up in %.1f s. Folder: %s%n%n", cluster.bringUpTime().toMillis() / 1000.0, cluster.baseDir());
        OUT.println(topology(cluster));
        String env = env(cluster) + (prometheusConfig == null ? ""
                : "export PGC_PROMETHEUS='" + cluster.monitoring().prometheusUrl() + "'\n");
        Path file = cluster.baseDir().resolve("rig.env");
        Files.writeString(file, env, StandardCharsets.UTF_8);
        OUT.println(env);
        OUT.println("Written to " + file + " (source it in a shell). Press Ctrl-C to stop and clean up.");
        new CountDownLatch(1).await();
    }

    private static void demo(PatroniClusterBuilder b) throws Exception {
        long t0 = System.nanoTime();
        PatroniCluster cluster = b.start();
        try {
            OUT.printf("%nRig up in %.1f s.%n%n", cluster.bringUpTime().toMillis() / 1000.0);
            OUT.println(topology(cluster));
            PatroniNode old = cluster.leader();
            OUT.printf("Switching over from %s ...%n", old.name());
            long s0 = System.nanoTime();
            PatroniNode now = cluster.switchover();
            long writable = System.nanoTime();
            long haproxy = awaitRoute(cluster, cluster.haProxy().writePort(), now, "HAProxy write port");
            long pgbouncer = awaitRoute(cluster, cluster.pgBouncers().writePort(), now, "PgBouncer write port");
            cluster.awaitHealthy(Duration.ofSeconds(60));
            long healthy = System.nanoTime();
            OUT.println();
            OUT.println(topology(cluster));
            OUT.printf("Switchover %s -> %s, measured from the REST request:%n", old.name(), now.name());
            OUT.printf("  %-52s %6d ms%n", "new leader accepts writes (pg_is_in_recovery false)", ms(s0, writable));
            OUT.printf("  %-52s %6d ms%n", "HAProxy write port reaches " + now.name(), ms(s0, haproxy));
            OUT.printf("  %-52s %6d ms%n", "PgBouncer write port reaches " + now.name(), ms(s0, pgbouncer));
            OUT.printf("  %-52s %6d ms%n", old.name() + " streams again as a replica (cluster healthy)", ms(s0, healthy));
            OUT.println();
        } finally {
            OUT.println("Stopping ...");
            long c0 = System.nanoTime();
            cluster.close();
            OUT.printf("Stopped and cleaned up in %d ms; whole demo %.1f s.%n", ms(c0, System.nanoTime()),
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    private static long awaitRoute(PatroniCluster cluster, int port, PatroniNode leader, String what) {
        return Await.until(what + " to reach " + leader.name(), Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
            Route r = cluster.route(port);
            return r.node.equals(leader.name()) && !r.inRecovery ? System.nanoTime() : null;
        });
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }

    /** The members and endpoints as a table. */
    static String topology(PatroniCluster cluster) {
        ClusterView v = cluster.view();
        StringBuilder b = new StringBuilder();
        String fmt = "%-6s %-8s %-9s %3s %10s %8s %8s %8s %9s%n";
        b.append(String.format(fmt, "Member", "Role", "State", "TL", "Lag(B)", "PG port", "Connect", "REST", "Patroni"));
        for (PatroniNode n : cluster.nodes()) {
            ClusterView.Member m = v.member(n.name());
            b.append(String.format(fmt, n.name(), m == null ? "-" : m.role, m == null ? "absent" : m.state,
                    m == null || m.timeline == null ? "" : m.timeline, m == null || m.lag == null ? "" : m.lag, n.pgPort(),
                    n.connectPort(), n.restPort(), n.isRunning() ? "pid " + n.patroni().pid() : "stopped"));
        }
        if (cluster.parts().nodePoolers != null) {
            b.append(String.format("%nPgBouncer per node (transaction pooling, proxy_url): %s",
                    cluster.nodePoolers().ports()));
        }
        b.append(String.format("%netcd %s   HAProxy write %d read %d (stats http://127.0.0.1:%d/)   PgBouncer write %d"
                + " read %d%n", cluster.etcdClientEndpoint(), cluster.haProxy().writePort(), cluster.haProxy().readPort(),
                cluster.haProxy().statsPort(), cluster.pgBouncers().writePort(), cluster.pgBouncers().readPort()));
        return b.toString();
    }

    /** Shell-sourceable endpoints, credentials and ready-to-paste commands (for a rig with PgBouncer). */
    static String env(PatroniCluster c) {
        List<String> l = new ArrayList<>();
        String psql = Setting.PG_BIN_DIR.value() + "/psql";
        l.add("# pgcluster-testkit rig, cluster '" + c.scope() + "' in " + c.baseDir());
        l.add("export PGC_SCOPE='" + c.scope() + "'");
        l.add("export PGC_NAMESPACE='" + c.namespace() + "'");
        l.add("export PGC_ETCD='" + c.etcdClientEndpoint() + "'");
        l.add("export PGC_DATABASE='" + c.database() + "'");
        l.add("export PGC_USER='" + c.user() + "'");
        l.add("export PGC_PASSWORD='" + c.password() + "'");
        l.add("export PGC_SUPERUSER='" + c.superuser() + "'");
        l.add("export PGC_SUPERUSER_PASSWORD='" + c.superuserPassword() + "'");
        StringBuilder hosts = new StringBuilder();
        for (PatroniNode n : c.nodes()) {
            String up = n.name().toUpperCase(Locale.ROOT);
            l.add("export PGC_" + up + "_PORT=" + n.pgPort() + " PGC_" + up + "_REST='" + n.restUrl() + "'");
            hosts.append(hosts.length() == 0 ? "" : ",").append(n.host()).append(':').append(n.connectPort());
        }
        l.add("export PGC_HAPROXY_WRITE_PORT=" + c.haProxy().writePort() + " PGC_HAPROXY_READ_PORT="
                + c.haProxy().readPort() + " PGC_HAPROXY_STATS='http://127.0.0.1:" + c.haProxy().statsPort() + "/'");
        l.add("export PGC_PGBOUNCER_WRITE_PORT=" + c.pgBouncers().writePort() + " PGC_PGBOUNCER_READ_PORT="
                + c.pgBouncers().readPort());
        l.add("export PGC_JDBC_WRITE='" + c.jdbcUrl("127.0.0.1", c.pgBouncers().writePort()) + "'");
        l.add("export PGC_JDBC_READ='" + c.jdbcUrl("127.0.0.1", c.pgBouncers().readPort()) + "'");
        l.add("export PGC_JDBC_MULTIHOST='jdbc:postgresql://" + hosts + "/" + c.database()
                + "?targetServerType=primary'");
        l.add("export PGC_URL='jdbc:pgcluster:etcd://" + c.etcdClientEndpoint().replace("http://", "") + "/"
                + c.database() + "?scope=" + c.scope() + "&namespace=" + c.namespace() + "'");
        if (c.parts().nodePoolers != null) {
            for (Map.Entry<String, Integer> e : c.nodePoolers().ports().entrySet()) {
                l.add("export PGC_" + e.getKey().toUpperCase(Locale.ROOT) + "_POOLER_PORT=" + e.getValue());
            }
            l.add("export PGC_URL_POOLER_NODE='jdbc:pgcluster:etcd://" + c.etcdClientEndpoint().replace("http://", "")
                    + "/" + c.database() + "?scope=" + c.scope() + "&namespace=" + c.namespace() + "&pooler=node'");
        }
        l.add("");
        l.add("# Ready to paste:");
        l.add("#   PGPASSWORD=$PGC_PASSWORD " + psql + " -h 127.0.0.1 -p $PGC_PGBOUNCER_WRITE_PORT -U app app   "
                + "# via PgBouncer -> HAProxy -> primary");
        l.add("#   PGPASSWORD=$PGC_PASSWORD " + psql + " -h 127.0.0.1 -p $PGC_HAPROXY_READ_PORT -U app app "
                + "-c 'select inet_server_port(), pg_is_in_recovery()'");
        l.add("#   PGPASSWORD=$PGC_SUPERUSER_PASSWORD " + psql + " -h 127.0.0.1 -p $PGC_PG1_PORT -U postgres postgres");
        List<String> pg1 = c.node("pg1").patroni().command();
        l.add("#   " + Configs.patronictlCommand(c.patroniVersion(), Path.of(Setting.PYTHON.value()),
                Path.of(Setting.PATRONICTL.value()), Path.of(Setting.PATRONI4_ROOT.value()),
                Path.of(pg1.get(pg1.size() - 1))) + " list");
        l.add("#   curl -s $PGC_PG1_REST/cluster | python3 -m json.tool");
        l.add("#   ETCDCTL_API=3 etcdctl --endpoints=$PGC_ETCD get --prefix " + c.namespace() + "/" + c.scope() + "/");
        l.add("#   java: DriverManager.getConnection(System.getenv(\"PGC_JDBC_WRITE\"), \"app\", "
                + "System.getenv(\"PGC_PASSWORD\"))");
        l.add("");
        return String.join("\n", l);
    }
}
