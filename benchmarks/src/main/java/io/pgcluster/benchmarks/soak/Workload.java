package io.pgcluster.benchmarks.soak;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.failover.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The soak's writers and readers: each a thread that runs one kind of operation through pgcluster in a loop, with a
 * short pause, and records every outcome in the {@link Ledger}.
 *
 * <p>Every write inserts a unique id, {@code (writer, seq)}, together with what the server that executed it says
 * about itself inside the same transaction: {@code inet_server_port()} and {@code pg_is_in_recovery()}. Every read
 * asks the same of the server that answered it.
 *
 * <p>Thread-safety: started and stopped by the soak's main thread.
 */
final class Workload {
    static final String TABLE = "soak_write";
    static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " (writer int NOT NULL, seq bigint NOT NULL, "
            + "port int NOT NULL, in_recovery boolean NOT NULL, kind text NOT NULL, "
            + "at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (writer, seq))";
    private static final String INSERT = "INSERT INTO " + TABLE + " (writer, seq, port, in_recovery, kind) "
            + "SELECT ?, ?, inet_server_port(), pg_is_in_recovery(), ? ON CONFLICT DO NOTHING";
    private static final String READ = "SELECT inet_server_port(), pg_is_in_recovery(), "
            + "(SELECT max(seq) FROM " + TABLE + " WHERE writer = ?)";

    private final PgClusterDataSource ds;
    private final Ledger ledger;
    private final long pauseMillis;
    private final long plainBoundNanos;
    private final long unitBoundNanos;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    /**
     * @param plainBoundNanos the longest a plain JDBC operation may take
     * @param unitBoundNanos the longest an {@code inTransaction} unit may take
     */
    Workload(PgClusterDataSource ds, Ledger ledger, long pauseMillis, long plainBoundNanos, long unitBoundNanos) {
        this.ds = ds;
        this.ledger = ledger;
        this.pauseMillis = pauseMillis;
        this.plainBoundNanos = plainBoundNanos;
        this.unitBoundNanos = unitBoundNanos;
    }

    void start(int writersPerKind, int readersPerKind) {
        for (int i = 0; i < writersPerKind; i++) {
            Ledger.Writer u = ledger.writer(OpKind.UNIT_WRITE);
            spawn("soak-unit-writer-" + u.id, () -> unitWrite(u));
            Ledger.Writer j = ledger.writer(OpKind.JDBC_WRITE);
            spawn("soak-jdbc-writer-" + j.id, () -> jdbcWrite(j));
        }
        for (int i = 0; i < readersPerKind; i++) {
            int writer = i % Math.max(1, writersPerKind) + 1;
            spawn("soak-unit-reader-" + (i + 1), () -> read(OpKind.UNIT_READ, writer));
            spawn("soak-jdbc-reader-" + (i + 1), () -> read(OpKind.JDBC_READ, writer));
        }
    }

    /**
     * Asks every worker to stop after its current operation and waits for them.
     *
     * @return the names of workers still running after {@code waitNanos} (each is in a hang already reported, or
     *     will be, by the watchdog)
     */
    List<String> stop(long waitNanos) throws InterruptedException {
        stopping = true;
        long deadline = System.nanoTime() + waitNanos;
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                stuck.add(t.getName());
            }
        }
        return stuck;
    }

    private void spawn(String name, Runnable loop) {
        Thread t = new Thread(() -> {
            while (!stopping) {
                loop.run();
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void unitWrite(Ledger.Writer w) {
        long seq = ++w.lastSeq;
        Ledger.InFlight f = ledger.begin(OpKind.UNIT_WRITE, unitBoundNanos);
        boolean ok = false;
        try {
            ds.inTransaction(TransactionMode.READ_WRITE_IDEMPOTENT, c -> {
                insert(c, w.id, seq, "unit");
                return null;
            });
            w.acked.set((int) seq);
            ok = true;
        } catch (SQLException | RuntimeException e) {
            // an idempotent unit may have committed in an earlier attempt whatever the last failure says
            w.unknown.set((int) seq);
            ledger.failure(OpKind.UNIT_WRITE, e);
            ledger.failedUnit(f, e);
        } finally {
            ledger.end(f, ok);
        }
    }

    private void jdbcWrite(Ledger.Writer w) {
        long seq = ++w.lastSeq;
        boolean tx = seq % 2 == 0;
        OpKind kind = tx ? OpKind.JDBC_WRITE_TX : OpKind.JDBC_WRITE;
        Ledger.InFlight f = ledger.begin(kind, plainBoundNanos);
        boolean ok = false;
        boolean committing = false;
        try (Connection c = ds.getConnection()) {
            if (tx) {
                c.setAutoCommit(false);
                insert(c, w.id, seq, "jdbc-tx");
                committing = true;
                c.commit();
            } else {
                committing = true;
                insert(c, w.id, seq, "jdbc");
            }
            ok = true;
        } catch (SQLException | RuntimeException e) {
            String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
            if (ok) {
                // committed, then close() failed: the write stands
                ledger.failure(kind, e);
            } else if (SqlStates.UNABLE_TO_CONNECT.equals(state)
                    || (tx && !committing && SqlStates.TRANSACTION_LOST.equals(state))) {
                w.notCommitted.set((int) seq); // docs/failover.md: nothing sent, or rolled back by the server
                ledger.failure(kind, e);
            } else {
                w.unknown.set((int) seq);
                ledger.failure(kind, e);
            }
        } finally {
            if (ok) {
                w.acked.set((int) seq);
            }
            ledger.end(f, ok);
        }
    }

    private void read(OpKind kind, int writer) {
        Ledger.InFlight f = ledger.begin(kind, kind.isUnit() ? unitBoundNanos : plainBoundNanos);
        boolean ok = false;
        try {
            int[] where;
            if (kind.isUnit()) {
                where = ds.inTransaction(TransactionMode.READ_ONLY, c -> where(c, writer));
            } else {
                try (Connection c = ds.getConnection()) {
                    c.setReadOnly(true);
                    where = where(c, writer);
                }
            }
            if (where[1] == 0) {
                ledger.primaryRead(f, where[0]);
            }
            ok = true;
        } catch (SQLException | RuntimeException e) {
            ledger.failure(kind, e);
            if (kind.isUnit()) {
                ledger.failedUnit(f, e);
            }
        } finally {
            ledger.end(f, ok);
        }
    }

    private static void insert(Connection c, int writer, long seq, String kind) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setInt(1, writer);
            ps.setLong(2, seq);
            ps.setString(3, kind);
            ps.executeUpdate();
        }
    }

    /** {port, 1 if in recovery else 0}. */
    private static int[] where(Connection c, int writer) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(READ)) {
            ps.setInt(1, writer);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new int[] {rs.getInt(1), rs.getBoolean(2) ? 1 : 0};
            }
        }
    }
}
