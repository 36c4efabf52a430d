package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Member;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Read-your-writes for one cluster: the highest WAL position of the writes this JVM committed, tagged with the
 * leader that produced it, and the position a thread asked its reads to see ({@link #enter}).
 *
 * <p>After a read-write transaction or an auto-commit write commits on the leader, {@link #learn} asks the same
 * session for {@code pg_current_wal_insert_lsn()}: at least the end of the commit record, so a replica that replayed
 * that far shows the write. pgjdbc does not report the commit's LSN, hence the extra round trip. A read-only
 * connection then goes to a replica only when that replica replayed at least {@link #required} (see
 * {@code Router}).
 *
 * <p>Positions are only comparable within one leader's history: after a failover the new leader's WAL is what
 * exists, and a write the old leader committed past the point where the new one took over is gone. So a position
 * counts only while the leader that produced it is the leader in the topology ({@link #leaderIs} drops it
 * otherwise), and when there is no leader at all nothing is required: the replicas hold all that survives, and
 * reads must keep flowing while the cluster fails over.
 *
 * <p>Thread-safety: lock-free. The high-water mark is one immutable pair behind a compare-and-set, replaced only when
 * it grows (one small object per write that moves it); reading it costs one volatile read and a thread-local look-up,
 * no allocation.
 */
public final class WritePositions {
    /** No position. WAL positions start above 0 (the first segment's header precedes every record). */
    public static final long NONE = 0;

    private static final Mark EMPTY = new Mark(null, NONE);

    private final boolean enabled;
    private final StatementClassifier reads;
    private final AtomicReference<Mark> mark = new AtomicReference<>(EMPTY);
    /** The leader in the topology in force; written before {@link #mark} is cleared (see {@link #learn}). */
    private volatile String leader;
    private final ThreadLocal<Scope> scope = new ThreadLocal<>();

    /** From {@code readYourWrites}: {@code jvm} learns positions, {@code off} does not (explicit scopes still apply). */
    public WritePositions(PgClusterConfig config) {
        this(config, new StatementClassifier(config.writeFunctions()));
    }

    /**
     * As {@link #WritePositions(PgClusterConfig)}, judging which texts may have written with {@code texts} (the
     * cluster's classifier, so that one cache serves routing and read-your-writes).
     */
    public WritePositions(PgClusterConfig config, StatementClassifier texts) {
        this.enabled = config.readYourWrites() == PgClusterConfig.ReadYourWrites.JVM;
        this.reads = enabled ? texts : StatementClassifier.LEADER_ONLY;
    }

    /** Whether this JVM learns the position of its own writes ({@code readYourWrites=jvm}). */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Whether an auto-commit statement with this text may have written, so that its position is worth learning:
     * everything but what a replica could run (a plain SELECT without writing functions).
     */
    public boolean mayWrite(String sql) {
        return enabled && !reads.replicaSafe(sql);
    }

    // ---- the leader's history ------------------------------------------------------------------------------------

    /** The topology now names {@code current} leader (or none): positions of another leader no longer count. */
    public void leaderIs(Member current) {
        String name = current == null ? null : current.name();
        leader = name;
        Mark m = mark.get();
        if (m.leader != null && !m.leader.equals(name)) {
            mark.compareAndSet(m, EMPTY);
        }
    }

    /**
     * Asks {@code leaderSession}, a session on {@code leaderName} that just committed a write and has no transaction
     * open, for a position covering that commit, and raises the high-water mark to it. One round trip.
     */
    public void learn(String leaderName, Connection leaderSession) throws SQLException {
        long lsn;
        try (Statement s = leaderSession.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()")) {
            rs.next();
            lsn = parse(rs.getString(1));
        }
        advance(leaderName, lsn);
    }

    /** Raises the high-water mark to {@code lsn}, written on {@code leaderName}, if that is still the leader. */
    public void advance(String leaderName, long lsn) {
        while (true) {
            Mark m = mark.get();
            // read after the mark: leaderIs writes the leader before it clears the mark, so a write of a leader
            // that just lost its key either sees the new leader here or fails the compare-and-set below
            if (!leaderName.equals(leader)) {
                return;
            }
            if (leaderName.equals(m.leader) && Long.compareUnsigned(m.lsn, lsn) >= 0) {
                return;
            }
            if (mark.compareAndSet(m, new Mark(leaderName, lsn))) {
                return;
            }
        }
    }

    /** The high-water mark of this JVM's writes on the current leader, or {@link #NONE}. */
    public long written() {
        Mark m = mark.get();
        return m.leader != null && m.leader.equals(leader) ? m.lsn : NONE;
    }

    /**
     * The position a read on this thread must see, when the topology names {@code currentLeader} leader: the
     * greater of this JVM's writes on that leader and the thread's {@link #enter scope}; {@link #NONE} when nothing
     * is required, and always when there is no leader (reads keep flowing during a failover).
     */
    public long required(Member currentLeader) {
        if (currentLeader == null) {
            return NONE;
        }
        Scope s = scope.get();
        long asked = s == null ? NONE : s.lsn;
        Mark m = mark.get();
        long own = m.leader != null && m.leader.equals(currentLeader.name()) ? m.lsn : NONE;
        return Long.compareUnsigned(own, asked) >= 0 ? own : asked;
    }

    // ---- explicit positions --------------------------------------------------------------------------------------

    /**
     * Reads on this thread see at least {@code lsn} until the returned scope is {@link Scope#close closed}; scopes
     * nest (the innermost position counts, closing restores the outer one).
     */
    public Scope enter(long lsn) {
        Scope s = new Scope(this, scope.get(), lsn);
        scope.set(s);
        return s;
    }

    /** A thread's requirement; see {@link #enter}. Closed on the thread that entered it. */
    public static final class Scope implements AutoCloseable {
        private final WritePositions owner;
        private final Scope outer;
        private final long lsn;
        private boolean closed;

        private Scope(WritePositions owner, Scope outer, long lsn) {
            this.owner = owner;
            this.outer = outer;
            this.lsn = lsn;
        }

        /** Restores the requirement in force before this scope; idempotent. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (outer == null) {
                owner.scope.remove();
            } else {
                owner.scope.set(outer);
            }
        }
    }

    // ---- the text form -------------------------------------------------------------------------------------------

    /**
     * PostgreSQL's text form of a WAL position ({@code pg_lsn}), two hexadecimal numbers of up to 8 digits: the high
     * and low 32 bits, e.g. {@code 0/3000148}.
     *
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static long parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash > 0 && slash <= 8 && text.length() - slash - 1 > 0 && text.length() - slash - 1 <= 8) {
            try {
                long high = Long.parseLong(text, 0, slash, 16);
                long low = Long.parseLong(text, slash + 1, text.length(), 16);
                if (high >= 0 && low >= 0) {
                    return high << 32 | low;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("pgcluster: '" + text + "' is not a WAL position; expected PostgreSQL's "
                + "pg_lsn text form, two hexadecimal numbers separated by a slash such as 0/3000148");
    }

    /** The text form of {@code lsn}; see {@link #parse}. */
    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFF_FFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    private record Mark(String leader, long lsn) {
    }
}
