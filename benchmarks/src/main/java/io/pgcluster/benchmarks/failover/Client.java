package io.pgcluster.benchmarks.failover;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One way of reaching the cluster, as an application would use it: a write is one short transaction inserting a row;
 * a read is one short read-only transaction reading the newest row; an auto-commit read is one SELECT with
 * auto-commit on and the read-only flag unset, on the data source an application with a single one uses for
 * everything (pgcluster's; the write pool of the others), as Hibernate runs the finders Spring Data declares without
 * a transaction. All report which server ran them.
 *
 * <p>Implementations are safe for concurrent use by the load's threads.
 */
interface Client extends AutoCloseable {

    /**
     * The server that ran an operation.
     *
     * @param port its {@code inet_server_port()}
     * @param inRecovery its {@code pg_is_in_recovery()}
     */
    record Where(int port, boolean inRecovery, boolean found) {
        Where(int port, boolean inRecovery) {
            this(port, inRecovery, true);
        }
    }

    /** Inserts row {@code id} (idempotently: running it twice inserts it once) and commits. */
    Where write(long id) throws SQLException;

    /** Reads the newest row in a read-only transaction. */
    Where read() throws SQLException;

    /** The data source an application with one data source would run its auto-commit statements on. */
    DataSource autoCommitSource();

    /** Reads the newest row with one auto-commit SELECT, read-only flag unset. */
    default Where readAutoCommit() throws SQLException {
        try (Connection c = autoCommitSource().getConnection()) {
            return Sql.read(c);
        }
    }

    /**
     * Looks for row {@code id} with one auto-commit SELECT, read-only flag unset: the read after one's own write of
     * a post/redirect/get flow. {@link Where#found()} is false for a stale read.
     */
    default Where findOwn(long id) throws SQLException {
        try (Connection c = autoCommitSource().getConnection()) {
            return Sql.find(c, id);
        }
    }

    /**
     * When this client itself learnt that {@code leader} leads, at or after {@code afterNanos}; -1 when it did not, or
     * cannot tell (only pgcluster exposes its view of the topology).
     */
    default long sawLeader(String leader, long afterNanos) {
        return -1;
    }

    @Override
    void close();

    /** The statements every client runs, so that all approaches carry the same load. */
    final class Sql {
        static final String TABLE = "bench_writes";
        static final String CREATE_TABLE = "CREATE TABLE " + TABLE
                + " (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())";
        /**
         * An upsert (so running it again is harmless: idempotent) that says where it ran; a replica refuses it with
         * SQLState 25006.
         */
        static final String WRITE = "INSERT INTO " + TABLE + " (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET at = "
                + "clock_timestamp() RETURNING inet_server_port(), pg_is_in_recovery()";
        static final String READ = "SELECT inet_server_port(), pg_is_in_recovery(), (SELECT max(id) FROM " + TABLE
                + ")";
        /** Whether row {@code ?} exists, and where that was asked. */
        static final String FIND = "SELECT inet_server_port(), pg_is_in_recovery(), EXISTS (SELECT 1 FROM " + TABLE
                + " WHERE id = ?)";

        private Sql() {
        }

        /** Runs {@link #WRITE} on {@code c} (in the caller's transaction). */
        static Where write(Connection c, long id) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(WRITE)) {
                ps.setLong(1, id);
                return where(ps);
            }
        }

        /** Runs {@link #READ} on {@code c} (in the caller's transaction). */
        static Where read(Connection c) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(READ)) {
                return where(ps);
            }
        }

        /** Runs {@link #FIND} for row {@code id} on {@code c}. */
        static Where find(Connection c, long id) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(FIND)) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Where(rs.getInt(1), rs.getBoolean(2), rs.getBoolean(3));
                }
            }
        }

        private static Where where(PreparedStatement ps) throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Where(rs.getInt(1), rs.getBoolean(2));
            }
        }
    }
}
