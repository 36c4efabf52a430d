package io.pgcluster.benchmarks.failover;

import com.zaxxer.hikari.HikariDataSource;
import io.pgcluster.benchmarks.ClusterAccess;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.testkit.Dcs;
import io.pgcluster.testkit.HaProxyChecks;
import io.pgcluster.testkit.PatroniCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The ways of reaching a Patroni cluster that the harness compares. Every approach runs the same load (see
 * {@link Client.Sql}); pools are HikariCP with pgcluster's default sizes and timeouts
 * ({@link ClusterAccess#hikari}), pgcluster runs with the source of the cluster's DCS (etcd or consul) and its
 * defaults but for the settings an approach names. The labels name etcd; {@link #label(Dcs)} names the DCS of a run.
 */
enum Approach {
    /** pgcluster, unit-of-work API: {@code inTransaction(READ_WRITE_IDEMPOTENT)} writes, {@code READ_ONLY} reads. */
    PGCLUSTER("pgcluster", "pgcluster (etcd), inTransaction", HaProxyChecks.TIGHT),
    /** pgcluster, plain JDBC transactions; failures surface with pgcluster's documented SQLStates. */
    PGCLUSTER_JDBC("pgcluster-jdbc", "pgcluster (etcd), plain JDBC", HaProxyChecks.TIGHT),
    /** Plain JDBC, auto-commit SELECTs on replicas, no read-your-writes: what a stale read costs without it. */
    PGCLUSTER_ACR("pgcluster-acr", "pgcluster (etcd), plain JDBC, autoCommitReads=replica, readYourWrites=off",
            HaProxyChecks.TIGHT, Map.of("autoCommitReads", "replica", "readYourWrites", "off")),
    /** Plain JDBC, auto-commit SELECTs on replicas, reads after this JVM's writes only where they are replayed. */
    PGCLUSTER_ACR_RYW("pgcluster-acr-ryw", "pgcluster (etcd), plain JDBC, autoCommitReads=replica, "
            + "readYourWrites=jvm", HaProxyChecks.TIGHT, Map.of("autoCommitReads", "replica", "readYourWrites", "jvm")),
    /** pgjdbc's own multi-host URLs: targetServerType=primary for writes, preferSecondary for reads. */
    PGJDBC("pgjdbc", "pgjdbc multi-host + HikariCP", HaProxyChecks.TIGHT),
    /** HAProxy's write and read ports with tight checks. */
    HAPROXY_TIGHT("haproxy-tight", "HAProxy, inter 1s fall 2 rise 1 + HikariCP", HaProxyChecks.TIGHT),
    /** HAProxy's write and read ports with the check timing of Patroni's documentation. */
    HAPROXY_DOCS("haproxy-docs", "HAProxy, inter 3s fall 3 rise 2 + HikariCP", HaProxyChecks.PATRONI_DOCS);

    final String key;
    final String label;
    /** HAProxy's check timing on this approach's cluster (irrelevant to the approaches that do not use HAProxy). */
    final HaProxyChecks checks;
    /** pgcluster settings by their catalog key, on top of the defaults (pgcluster approaches only). */
    final Map<String, String> settings;

    Approach(String key, String label, HaProxyChecks checks) {
        this(key, label, checks, Map.of());
    }

    Approach(String key, String label, HaProxyChecks checks, Map<String, String> settings) {
        this.key = key;
        this.label = label;
        this.checks = checks;
        this.settings = settings;
    }

    /**
     * The label of a run whose Patroni uses {@code dcs}: pgcluster's approaches name the source they follow; the
     * others do not depend on the DCS.
     */
    String label(Dcs dcs) {
        return dcs == Dcs.ETCD ? label : label.replace("(etcd)", "(" + dcs.name().toLowerCase(Locale.ROOT) + ")");
    }

    static Approach forKey(String key) {
        for (Approach a : values()) {
            if (a.key.equals(key)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown approach '" + key + "'; known: "
                + java.util.Arrays.stream(values()).map(a -> a.key).collect(Collectors.joining(", ")));
    }

    /**
     * pgcluster's settings other than its defaults, for a run that compares them: every system property
     * {@code pgcluster.bench.set.<property>} (e.g. {@code -Dpgcluster.bench.set.switchoverDrain=0}).
     */
    private static PgClusterConfig.Builder overrides(PgClusterConfig.Builder b) {
        String prefix = "pgcluster.bench.set.";
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(prefix)) {
                b.set(name.substring(prefix.length()), System.getProperty(name));
            }
        }
        return b;
    }

    /**
     * Opens this approach's client on {@code cluster}.
     *
     * @throws io.pgcluster.jdbc.config.PgClusterConfigException when this driver does not know one of
     *     {@link #settings}
     */
    Client open(PatroniCluster cluster) {
        ClusterAccess access = access(cluster);
        switch (this) {
            case PGCLUSTER:
                return new UnitOfWork(new PgClusterDataSource(overrides(pgcluster(cluster, access)).build()));
            case PGCLUSTER_JDBC:
            case PGCLUSTER_ACR:
            case PGCLUSTER_ACR_RYW: {
                PgClusterDataSource ds = new PgClusterDataSource(
                        overrides(pgcluster(cluster, access).setAll(settings)).build());
                return new Jdbc(ds, ds, List.of(ds), ds);
            }
            case PGJDBC: {
                String hosts = cluster.nodes().stream().map(n -> n.host() + ":" + n.connectPort())
                        .collect(Collectors.joining(","));
                HikariDataSource w = access.hikari("pgjdbc-write", access.pgjdbcUrl(hosts, "targetServerType=primary"),
                        false);
                HikariDataSource r = access.hikari("pgjdbc-read",
                        access.pgjdbcUrl(hosts, "targetServerType=preferSecondary&loadBalanceHosts=true"), true);
                return new Jdbc(w, r, List.of(w, r), null);
            }
            default: {
                String host = cluster.nodes().get(0).host();
                HikariDataSource w = access.hikari("haproxy-write",
                        access.pgjdbcUrl(host + ":" + cluster.haProxy().writePort(), ""), false);
                HikariDataSource r = access.hikari("haproxy-read",
                        access.pgjdbcUrl(host + ":" + cluster.haProxy().readPort(), ""), true);
                return new Jdbc(w, r, List.of(w, r), null);
            }
        }
    }

    /**
     * The cluster's access data. {@link ClusterAccess} knows etcd only; on a Consul cluster its etcd field holds the
     * agent's address, which nothing reads: {@link #pgcluster} sets the consul source, and the HikariCP pools take
     * only pgcluster's defaults from it.
     */
    private static ClusterAccess access(PatroniCluster cluster) {
        if (cluster.dcs() == Dcs.ETCD) {
            return ClusterAccess.of(cluster);
        }
        return new ClusterAccess(cluster.consulClientAddress(), cluster.scope(), cluster.namespace(),
                cluster.database(), cluster.user(), cluster.password());
    }

    /** pgcluster on the cluster's DCS: the etcd source, or the consul source on the same agent Patroni uses. */
    private static PgClusterConfig.Builder pgcluster(PatroniCluster cluster, ClusterAccess access) {
        PgClusterConfig.Builder b = access.pgcluster("bench");
        switch (cluster.dcs()) {
            case ETCD:
                return b;
            case CONSUL:
                return b.consul(cluster.consulClientAddress());
            default:
                throw new IllegalArgumentException("the failover harness runs on etcd or consul, not " + cluster.dcs());
        }
    }

    /** Records when a pgcluster data source's topology named each new leader. */
    private static final class LeaderLog {
        private record Seen(long nanos, String leader) {
        }

        private final List<Seen> seen = new CopyOnWriteArrayList<>();

        LeaderLog(PgClusterDataSource ds) {
            ds.addTopologyListener((previous, current) -> {
                Member l = current.leader();
                Member p = previous.leader();
                if (l != null && (p == null || !p.name().equals(l.name()))) {
                    seen.add(new Seen(System.nanoTime(), l.name()));
                }
            });
        }

        @Override
        public String toString() {
            return "leaders seen " + seen;
        }

        long saw(String leader, long afterNanos) {
            for (Seen s : seen) {
                if (s.nanos() - afterNanos >= 0 && leader.equals(s.leader())) {
                    return s.nanos();
                }
            }
            return -1;
        }
    }

    /** pgcluster's unit-of-work API. */
    private static final class UnitOfWork implements Client {
        private final PgClusterDataSource ds;
        private final LeaderLog leaders;

        UnitOfWork(PgClusterDataSource ds) {
            this.ds = ds;
            this.leaders = new LeaderLog(ds);
        }

        @Override
        public Where write(long id) throws SQLException {
            return ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> Sql.write(c, id));
        }

        @Override
        public Where read() throws SQLException {
            return ds.inTransaction(TransactionMode.READ_ONLY, Sql::read);
        }

        @Override
        public DataSource autoCommitSource() {
            return ds;
        }

        @Override
        public long sawLeader(String leader, long afterNanos) {
            return leaders.saw(leader, afterNanos);
        }

        @Override
        public String toString() {
            return "unit of work, " + leaders;
        }

        @Override
        public void close() {
            ds.close();
        }
    }

    /**
     * Plain JDBC transactions on a data source for writes and one for reads, as an application (or Spring's
     * transaction manager) runs them: no retry; a failed transaction is rolled back and reported.
     */
    private static final class Jdbc implements Client {
        private final DataSource writes;
        private final DataSource reads;
        private final List<AutoCloseable> owned;
        private final LeaderLog leaders;

        Jdbc(DataSource writes, DataSource reads, List<AutoCloseable> owned, PgClusterDataSource pgcluster) {
            this.writes = writes;
            this.reads = reads;
            this.owned = owned;
            this.leaders = pgcluster == null ? null : new LeaderLog(pgcluster);
        }

        @Override
        public Where write(long id) throws SQLException {
            try (Connection c = writes.getConnection()) {
                c.setAutoCommit(false);
                try {
                    Where w = Sql.write(c, id);
                    c.commit();
                    return w;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c, e);
                    throw e;
                }
            }
        }

        @Override
        public Where read() throws SQLException {
            try (Connection c = reads.getConnection()) {
                c.setReadOnly(true);
                c.setAutoCommit(false);
                try {
                    Where w = Sql.read(c);
                    c.commit();
                    return w;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c, e);
                    throw e;
                }
            }
        }

        @Override
        public DataSource autoCommitSource() {
            return writes;
        }

        private static void rollbackQuietly(Connection c, Exception cause) {
            try {
                c.rollback();
            } catch (SQLException e) {
                cause.addSuppressed(e);
            }
        }

        @Override
        public long sawLeader(String leader, long afterNanos) {
            return leaders == null ? -1 : leaders.saw(leader, afterNanos);
        }

        @Override
        public String toString() {
            return "plain JDBC" + (leaders == null ? "" : ", " + leaders);
        }

        @Override
        public void close() {
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("closing " + c + ": " + e);
                }
            }
        }
    }
}
