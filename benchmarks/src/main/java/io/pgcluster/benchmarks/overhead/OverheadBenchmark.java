package io.pgcluster.benchmarks.overhead;

import com.zaxxer.hikari.HikariDataSource;
import io.pgcluster.benchmarks.ClusterAccess;
import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfig.ReadYourWrites;
import io.pgcluster.jdbc.internal.metrics.ClusterMetrics;
import io.pgcluster.jdbc.topology.Topology;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.AuxCounters;
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
 *   <li>{@code writeThenRead}: what read-your-writes is for: a read-write transaction that updates the thread's row
 *       ({@code UPDATE ... RETURNING}, so it writes WAL) and commits, then a read-only transaction that reads the
 *       row back. Variants ({@code rw} parameter): HikariCP ({@code hikari}: leader pool, and the two replica pools
 *       in turn), pgcluster with {@code readYourWrites=off} ({@code pgcluster-off}) and with the default
 *       {@code readYourWrites=jvm} ({@code pgcluster-jvm}), which learns the commit's WAL position with one more
 *       round trip and lets a replica serve the read only once it has replayed it. {@link Reads} counts per
 *       iteration where the reads ran, how many missed the write (stale), and, for pgcluster, how its
 *       read-your-writes served them.</li>
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

        /** pgcluster's read-your-writes mode; null: the default. */
        ReadYourWrites readYourWrites;
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
                PgClusterConfig.Builder config = access.pgcluster("bench");
                if (readYourWrites != null) {
                    config.readYourWrites(readYourWrites);
                }
                PgClusterDataSource ds = openPgCluster(config.build());
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
    public static class Tx implements Side {
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

    /** A data source under test that a {@link Turns} opens and closes (its own set-up methods are not called then). */
    interface Side {
        void open() throws Exception;

        void close() throws Exception;
    }

    /**
     * HikariCP and pgcluster in one fork, taking turns by iteration: even iterations (counting warm-up) run on
     * HikariCP, odd ones on pgcluster.
     *
     * @param <S> what a side is
     */
    public abstract static class Turns<S extends Side> {
        final S hikari;
        final S pgcluster;
        private int iteration;
        volatile S turn;

        Turns(S hikari, S pgcluster) {
            this.hikari = hikari;
            this.pgcluster = pgcluster;
        }

        /** Sets the sides' parameters from this state's. */
        abstract void configure();

        @Setup(Level.Trial)
        public void open() throws Exception {
            configure();
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

    /** {@code SELECT 1} transactions on HikariCP and on pgcluster, taking turns ({@link Turns}). */
    @State(Scope.Benchmark)
    public static class Alternating extends Turns<Tx> {
        /** pgcluster's side: {@code plain} JDBC, or {@code inTransaction}. */
        @Param({"plain", "inTransaction"})
        public String api;

        public Alternating() {
            super(new Tx(), new Tx());
        }

        @Override
        void configure() {
            hikari.tx = "hikari";
            pgcluster.tx = "plain".equals(api) ? "pgcluster" : "pgcluster-inTransaction";
        }
    }

    /** The table {@code writeThenRead} writes: one row per benchmark thread (threads beyond this many share rows). */
    static final int ROWS = 64;

    /**
     * Per benchmark thread: the row it writes, and where its reads ran. JMH reports the public fields of this
     * {@link AuxCounters} state as secondary results (events per iteration, reset before each); the runner turns
     * them into shares. Confined to its thread.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Reads {
        private static final AtomicInteger NEXT_ROW = new AtomicInteger();
        // pgcluster reports read-your-writes decisions on the thread that reads, so they can be counted per thread
        private static final ThreadLocal<Reads> CURRENT = new ThreadLocal<>();

        /** Reads of the row just written. */
        public long reads;
        /** ... of which ran on the leader ({@code pg_is_in_recovery()} false). */
        public long readsOnLeader;
        /** ... of which did not see the write. */
        public long staleReads;
        /** pgcluster only: reads that had a position to see and a replica had already replayed it. */
        public long freshOnReplica;
        /** ... a replica replayed it while the read waited. */
        public long freshAfterWait;
        /** ... no replica had it within {@code readYourWritesTimeout}: the leader served the read. */
        public long freshOnLeader;
        private int row = -1;

        @Setup(Level.Iteration)
        public void reset() {
            if (row < 0) {
                row = NEXT_ROW.getAndIncrement() % ROWS;
            }
            CURRENT.set(this);
            reads = 0;
            readsOnLeader = 0;
            staleReads = 0;
            freshOnReplica = 0;
            freshAfterWait = 0;
            freshOnLeader = 0;
        }

        /** Counts pgcluster's read-your-writes decisions into the reading thread's {@link Reads}. */
        static final ClusterMetrics FRESH_READS = new ClusterMetrics() {
            @Override
            public void freshRead(boolean waited, boolean toLeader) {
                Reads r = CURRENT.get();
                if (r == null) {
                    return; // set-up reads, before the first iteration
                }
                if (toLeader) {
                    r.freshOnLeader++;
                } else if (waited) {
                    r.freshAfterWait++;
                } else {
                    r.freshOnReplica++;
                }
            }
        };
    }

    /** The data sources of {@code writeThenRead}, and a table on the leader that every replica has. */
    @State(Scope.Benchmark)
    public static class RwTx implements Side {
        /** {@code hikari}, {@code pgcluster-off} or {@code pgcluster-jvm} ({@code readYourWrites} off or jvm). */
        @Param({"hikari", "pgcluster-off", "pgcluster-jvm"})
        public String rw;

        /** Whether pgcluster's read-your-writes decisions are counted (a metrics listener: not in A/B forks). */
        boolean countFresh = true;
        private final Pools pools = new Pools();

        @Setup(Level.Trial)
        public void open() throws Exception {
            pools.pool = rw.startsWith("hikari") ? "hikari" : "pgcluster";
            if (rw.startsWith("pgcluster-")) {
                pools.readYourWrites = ReadYourWrites.valueOf(rw.substring("pgcluster-".length())
                        .toUpperCase(Locale.ROOT));
            }
            pools.open();
            if (countFresh && pools.readWrite instanceof PgClusterDataSource ds) {
                ds.addMetrics(Reads.FRESH_READS);
            }
            createTable(pools.readWrite, pools.readOnly);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            pools.close();
        }

        long writeThenRead(Reads r) throws SQLException {
            return OverheadBenchmark.writeThenRead(pools.readWrite, pools.readOnly, r);
        }
    }

    /** {@code writeThenRead} on HikariCP and on pgcluster, taking turns ({@link Turns}). */
    @State(Scope.Benchmark)
    public static class AlternatingRw extends Turns<RwTx> {
        /** pgcluster's {@code readYourWrites}: {@code off} or {@code jvm}. */
        @Param({"off", "jvm"})
        public String ryw;

        public AlternatingRw() {
            super(new RwTx(), new RwTx());
        }

        @Override
        void configure() {
            hikari.rw = "hikari";
            pgcluster.rw = "pgcluster-" + ryw;
            hikari.countFresh = false;
            pgcluster.countFresh = false;
        }
    }

    @Benchmark
    public long writeThenRead(RwTx t, Reads r) throws SQLException {
        return t.writeThenRead(r);
    }

    @Benchmark
    public long abWriteThenRead(AlternatingRw a, Reads r) throws SQLException {
        return a.turn.writeThenRead(r);
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
     * A form post and the page it redirects to: a read-write transaction updates the thread's row and commits, then
     * a read-only transaction reads it back, counting in {@code r} where it ran and whether it saw the write.
     */
    static long writeThenRead(DataSource readWrite, DataSource readOnly, Reads r) throws SQLException {
        long written;
        try (Connection c = readWrite.getConnection()) {
            c.setReadOnly(false);
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE bench_rw SET n = n + 1 WHERE id = ? RETURNING n")) {
                ps.setInt(1, r.row);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    written = rs.getLong(1);
                }
            }
            c.commit();
        }
        try (Connection c = readOnly.getConnection()) {
            c.setReadOnly(true);
            c.setAutoCommit(false);
            long read;
            boolean onReplica;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT n, pg_is_in_recovery() FROM bench_rw WHERE id = ?")) {
                ps.setInt(1, r.row);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    read = rs.getLong(1);
                    onReplica = rs.getBoolean(2);
                }
            }
            c.commit();
            r.reads++;
            if (!onReplica) {
                r.readsOnLeader++;
            }
            if (read < written) {
                r.staleReads++;
            }
            return read;
        }
    }

    /**
     * Creates {@code writeThenRead}'s table on the leader, if missing, and waits until reads through
     * {@code readOnly} find it (replicas replay the CREATE a little later).
     */
    static void createTable(DataSource readWrite, DataSource readOnly) throws SQLException, InterruptedException {
        try (Connection c = readWrite.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_rw (id int PRIMARY KEY, n bigint NOT NULL)");
            st.execute("INSERT INTO bench_rw SELECT i, 0 FROM generate_series(0, " + (ROWS - 1)
                    + ") i ON CONFLICT (id) DO NOTHING");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // several reads in a row, so that every replica a round-robin pool uses has been asked
        for (int found = 0; found < 4; ) {
            try (Connection c = readOnly.getConnection()) {
                c.setReadOnly(true);
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT count(*) FROM bench_rw")) {
                    rs.next();
                    found = rs.getInt(1) == ROWS ? found + 1 : 0;
                }
            } catch (SQLException e) {
                if (!"42P01".equals(e.getSQLState()) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                found = 0;
            }
            if (found == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the replicas did not replay bench_rw within 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    /**
     * A pgcluster data source (the etcd source, see {@link ClusterAccess#pgcluster}), once its topology names a leader
     * and a replica (it learns the topology in the background after construction).
     */
    static PgClusterDataSource openPgCluster(PgClusterConfig config) throws InterruptedException {
        PgClusterDataSource ds = new PgClusterDataSource(config);
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
