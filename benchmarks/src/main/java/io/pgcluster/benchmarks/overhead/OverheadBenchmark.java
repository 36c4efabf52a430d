package io.pgcluster.benchmarks.overhead;

import com.zaxxer.hikari.HikariDataSource;
import io.pgcluster.benchmarks.ClusterAccess;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What pgcluster costs on the hot path, against a raw HikariCP pool on the same PostgreSQL server, with the same
 * user code: only the {@link DataSource} differs.
 *
 * <ul>
 *   <li>{@code getConnectionClose}: {@code getConnection()} then {@code close()}. pgcluster binds a physical
 *       connection lazily, at the first statement, so for pgcluster this measures allocating and closing the logical
 *       connection; HikariCP borrows and returns a pooled connection.</li>
 *   <li>{@code select1ReadWrite}: a read-write transaction running {@code SELECT 1} (a prepared statement) and
 *       committing. HikariCP's pool is on the leader, where pgcluster routes it.</li>
 *   <li>{@code select1ReadOnly}: the same with {@code setReadOnly(true)}. pgcluster balances over both replicas;
 *       HikariCP has a pool on each (configured read-only, like pgcluster's replica pools), used in turn, and, as a
 *       second baseline ({@code hikari-one-replica}), a pool on one replica only.</li>
 * </ul>
 *
 * <p>{@code select1ReadWrite} and {@code select1ReadOnly} run each variant ({@code tx} parameter) in a fork of its
 * own: plain JDBC on HikariCP ({@code hikari}, {@code hikari-one-replica}), the same plain JDBC code on pgcluster
 * ({@code pgcluster}), and pgcluster's unit-of-work API ({@code pgcluster-inTransaction},
 * {@link PgClusterDataSource#inTransaction} with {@code READ_WRITE} or {@code READ_ONLY}). They give each variant's
 * throughput and the bytes it allocates per transaction.
 *
 * <p>On a machine where two loopback round trips per transaction dominate, throughput drifts by tens of percent from
 * one minute to the next, far more than the difference being measured. {@code abReadWrite} and {@code abReadOnly}
 * therefore compare within one fork: both data sources are open, and the measurement iterations alternate between
 * HikariCP (even iterations, warm-up included) and pgcluster (odd ones, with the {@code api} parameter's API), so
 * that each pair of neighbouring iterations gives a ratio measured seconds apart. Both paths are compiled by the same
 * JIT in the same JVM, as they would be in an application that uses both.
 *
 * <p>It needs a running cluster, given as system properties ({@link ClusterAccess#fromSystemProperties()} plus
 * {@code pgcluster.bench.leader} as {@code host:port} and {@code pgcluster.bench.replicas} as
 * {@code host:port,host:port}): {@link OverheadRunner} starts one and passes them to the forks. The annotations are
 * defaults; the runner sets iterations, forks and threads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 3)
public class OverheadBenchmark {

    /**
     * The data sources under test: raw HikariCP pools, or one pgcluster data source for both kinds of work.
     * {@code hikari}: a pool on the leader for writes, and for reads one pool per replica used in turn (as pgcluster
     * balances by default); {@code hikari-one-replica}: the same with reads on one replica only; {@code pgcluster}: a
     * PgClusterDataSource.
     */
    @State(Scope.Benchmark)
    public static class Pools {
        @Param({"hikari", "pgcluster"})
        public String pool;

        DataSource readWrite;
        DataSource readOnly;
        private AutoCloseable[] owned;

        @Setup(Level.Trial)
        public void open() throws Exception {
            ClusterAccess access = ClusterAccess.fromSystemProperties();
            if (pool.startsWith("hikari")) {
                List<AutoCloseable> o = new ArrayList<>();
                HikariDataSource leader = access.hikari("raw-leader",
                        access.pgjdbcUrl(ClusterAccess.property("leader"), ""), false);
                o.add(leader);
                List<HikariDataSource> replicas = new ArrayList<>();
                for (String r : ClusterAccess.property("replicas").split(",")) {
                    replicas.add(access.hikari("raw-replica-" + r, access.pgjdbcUrl(r, ""), true));
                    if ("hikari-one-replica".equals(pool)) {
                        break;
                    }
                }
                o.addAll(replicas);
                readWrite = leader;
                readOnly = replicas.size() == 1 ? replicas.get(0) : new RoundRobinDataSource(replicas);
                owned = o.toArray(new AutoCloseable[0]);
            } else {
                PgClusterDataSource ds = openPgCluster(access);
                readWrite = ds;
                readOnly = ds;
                owned = new AutoCloseable[] {ds};
            }
            // One transaction of each kind before warm-up, so that no pool is still opening its first connection.
            select1InTransaction(readWrite, false);
            select1InTransaction(readOnly, true);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            for (AutoCloseable c : owned) {
                c.close();
            }
        }
    }

    /** How a transaction is run: plain JDBC on either data source, or pgcluster's unit-of-work API. */
    @State(Scope.Benchmark)
    public static class Tx {
        /**
         * {@code hikari}, {@code hikari-one-replica} (see {@link Pools}), {@code pgcluster} (plain JDBC),
         * {@code pgcluster-inTransaction}.
         */
        @Param({"hikari", "hikari-one-replica", "pgcluster", "pgcluster-inTransaction"})
        public String tx;

        private final Pools pools = new Pools();
        private boolean unitOfWork;
        private PgClusterDataSource ds;

        @Setup(Level.Trial)
        public void open() throws Exception {
            unitOfWork = tx.endsWith("-inTransaction");
            pools.pool = unitOfWork ? "pgcluster" : tx;
            pools.open();
            ds = unitOfWork ? (PgClusterDataSource) pools.readWrite : null;
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            pools.close();
        }

        int select1(boolean readOnly) throws SQLException {
            if (unitOfWork) {
                return ds.inTransaction(readOnly ? TransactionMode.READ_ONLY : TransactionMode.READ_WRITE,
                        OverheadBenchmark::select1);
            }
            return select1InTransaction(readOnly ? pools.readOnly : pools.readWrite, readOnly);
        }
    }

    /**
     * HikariCP and pgcluster in one fork, taking turns by iteration: even iterations (counting warm-up) run on
     * HikariCP, odd ones on pgcluster.
     */
    @State(Scope.Benchmark)
    public static class Alternating {
        /** pgcluster's side: {@code plain} JDBC, or {@code inTransaction}. */
        @Param({"plain", "inTransaction"})
        public String api;

        private final Tx hikari = new Tx();
        private final Tx pgcluster = new Tx();
        private int iteration;
        private volatile Tx turn;

        @Setup(Level.Trial)
        public void open() throws Exception {
            hikari.tx = "hikari";
            pgcluster.tx = "plain".equals(api) ? "pgcluster" : "pgcluster-inTransaction";
            hikari.open();
            pgcluster.open();
        }

        @Setup(Level.Iteration)
        public void nextTurn() {
            turn = iteration++ % 2 == 0 ? hikari : pgcluster;
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            hikari.close();
            pgcluster.close();
        }
    }

    @Benchmark
    public int abReadWrite(Alternating a) throws SQLException {
        return a.turn.select1(false);
    }

    @Benchmark
    public int abReadOnly(Alternating a) throws SQLException {
        return a.turn.select1(true);
    }

    @Benchmark
    public Connection getConnectionClose(Pools p) throws SQLException {
        try (Connection c = p.readWrite.getConnection()) {
            return c; // returned to JMH's blackhole so that nothing is optimized away
        }
    }

    @Benchmark
    public int select1ReadWrite(Tx t) throws SQLException {
        return t.select1(false);
    }

    @Benchmark
    public int select1ReadOnly(Tx t) throws SQLException {
        return t.select1(true);
    }

    /** What an application does for one short transaction with plain JDBC. */
    static int select1InTransaction(DataSource ds, boolean readOnly) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setReadOnly(readOnly);
            c.setAutoCommit(false);
            int v = select1(c);
            c.commit();
            return v;
        }
    }

    static int select1(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * A pgcluster data source with the etcd source and default settings, once its topology names a leader and a
     * replica (it learns the topology in the background after construction).
     */
    static PgClusterDataSource openPgCluster(ClusterAccess access) throws InterruptedException {
        PgClusterDataSource ds = new PgClusterDataSource(access.pgcluster("bench").build());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Topology t = ds.topology();
            if (t.isKnown() && t.leader() != null && !t.replicas().isEmpty()) {
                return ds;
            }
            if (System.nanoTime() - deadline > 0) {
                ds.close();
                throw new IllegalStateException("pgcluster did not see a leader and a replica within 30 s: " + t);
            }
            Thread.sleep(20);
        }
    }
}
