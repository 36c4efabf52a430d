package io.pgcluster.jdbc;

import static io.pgcluster.jdbc.ConnectionWrapper.SESSION_PROPERTIES;
import static io.pgcluster.jdbc.ConnectionWrapper.SET_HOLDABILITY__INT;
import static io.pgcluster.jdbc.ConnectionWrapper.SET_SCHEMA__STRING;
import static io.pgcluster.jdbc.ConnectionWrapper.SET_TRANSACTION_ISOLATION__INT;
import static io.pgcluster.jdbc.ConnectionWrapper.SET_TYPE_MAP__MAP;

import io.pgcluster.jdbc.failover.SqlStates;
import java.sql.Connection;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/**
 * The session properties of a logical connection that outlive its physical connection: isolation, catalog,
 * schema, holdability, type map and network timeout (one typed slot each, by the op codes of
 * {@link ConnectionWrapper}), and client info. Each is recorded when set (and passed to the bound physical
 * connection, if any), applied to every physical connection the logical one binds, and what it changed on a
 * physical connection is restored before that goes back to its pool, so that the next borrower does not inherit
 * it. Auto-commit and the read-only flag are not here: they decide routing and the transaction state, and the
 * connection applies them itself.
 *
 * <p>Behind a transaction pooler ({@code pooler=node}) pgjdbc's way of setting isolation and schema, {@code SET
 * SESSION ...} on whichever server session the pooler lends for that one statement, would leave them for the pooler's
 * next client and lose them for this connection's next transaction. So the isolation level is only recorded here and
 * sent as {@code SET TRANSACTION ISOLATION LEVEL ...} at the start of each transaction ({@link #beginTransaction}),
 * on whatever server session that transaction gets; the schema is refused, since a per-transaction form would not
 * cover auto-commit statements, where name resolution matters as much. Client info is kept: PgBouncer tracks
 * {@code application_name} per client. The rest never reaches the server.
 *
 * <p>Not thread-safe, like the connection that owns it.
 */
final class SessionSettings {
    /** Whether connections go through a transaction pooler, which does not keep session state per client. */
    private final boolean transactionPooler;
    /** Behind a transaction pooler: whether the owning connection has a transaction open (isolation is fixed then). */
    private final BooleanSupplier inTransaction;
    /** Bit {@code op} set: property {@code op} was set here. */
    private int given;
    private long[] bits;
    private Object[] values;
    private Properties clientInfo;
    /** Session state changed on the bound physical connection (search_path, application_name), reset on release. */
    private boolean dirty;
    /** What the bound physical connection had before this one changed it; restored on release. */
    private Map<String, Class<?>> physicalTypeMap;
    private int physicalHoldability = -1;

    /**
     * @param transactionPooler whether connections go through a transaction pooler ({@code pooler=node})
     * @param inTransaction whether the owning logical connection has a transaction open; asked only behind a pooler
     */
    SessionSettings(boolean transactionPooler, BooleanSupplier inTransaction) {
        this.transactionPooler = transactionPooler;
        this.inTransaction = inTransaction;
    }

    boolean isSet(int op) {
        return (given & 1 << op) != 0;
    }

    long bits(int op) {
        return bits[op];
    }

    Object value(int op) {
        return values[op];
    }

    /**
     * Sets property {@code op} on the bound physical connection (if any) and records it. An object property set to
     * {@code null} counts as never set: it is not applied at binding, and its getter asks the physical connection.
     */
    void set(Connection bound, int op, long bits, Object value) throws SQLException {
        if (transactionPooler && op == SET_SCHEMA__STRING && value != null) {
            throw new SQLFeatureNotSupportedException("pgcluster: setSchema is not available with pooler=node: "
                    + "pgjdbc sets search_path for the session, and a transaction pooler lends server sessions per "
                    + "transaction, so it would stay on a session another client gets and be gone from this "
                    + "connection's next statement; a SET LOCAL per transaction would miss auto-commit statements. "
                    + "Set it per role or database on the server (ALTER ROLE ... SET search_path), or qualify names");
        }
        boolean recordOnly = transactionPooler && op == SET_TRANSACTION_ISOLATION__INT;
        if (recordOnly) {
            isolationLevel((int) bits); // refuses a level PostgreSQL has no name for
            if (inTransaction.getAsBoolean()) {
                // as pgjdbc: the level of a running transaction cannot change
                throw new SQLException("Cannot change transaction isolation level in the middle of a transaction.",
                        SqlStates.ACTIVE_TRANSACTION);
            }
        }
        if (bound != null && !recordOnly) {
            if (op == SET_HOLDABILITY__INT && physicalHoldability == -1) {
                physicalHoldability = bound.getHoldability();
            } else if (op == SET_TYPE_MAP__MAP && physicalTypeMap == null) {
                physicalTypeMap = bound.getTypeMap();
            }
            ConnectionWrapper.applySession(bound, op, bits, value);
            dirty |= op == SET_SCHEMA__STRING;
        }
        if (this.bits == null) {
            this.bits = new long[SESSION_PROPERTIES];
            values = new Object[SESSION_PROPERTIES];
        }
        this.bits[op] = bits;
        values[op] = value;
        boolean unset = value == null && (op == SET_SCHEMA__STRING || op == SET_TYPE_MAP__MAP
                || op == ConnectionWrapper.SET_CATALOG__STRING);
        given = unset ? given & ~(1 << op) : given | 1 << op;
    }

    /** Applies the recorded state to a freshly borrowed physical connection. */
    void apply(Connection c) throws SQLException {
        dirty = isSet(SET_SCHEMA__STRING) || clientInfo != null;
        for (int op = 0; given != 0 && op < SESSION_PROPERTIES; op++) {
            if (isSet(op) && !(transactionPooler && op == SET_TRANSACTION_ISOLATION__INT)) {
                if (op == SET_HOLDABILITY__INT) {
                    physicalHoldability = c.getHoldability();
                } else if (op == SET_TYPE_MAP__MAP) {
                    physicalTypeMap = c.getTypeMap();
                }
                ConnectionWrapper.applySession(c, op, bits[op], values[op]);
            }
        }
        if (clientInfo != null) {
            c.setClientInfo(clientInfo);
        }
    }

    /**
     * A transaction begins on {@code c} (auto-commit off, its first statement about to run there, pgjdbc's BEGIN
     * not sent yet): behind a transaction pooler, with an isolation level set, sends {@code SET TRANSACTION
     * ISOLATION LEVEL ...}, which pgjdbc precedes with BEGIN, so that the level holds for this transaction on
     * whatever server session runs it and for nothing else. Nothing is sent otherwise.
     */
    void beginTransaction(Connection c) throws SQLException {
        if (transactionPooler && isSet(SET_TRANSACTION_ISOLATION__INT)) {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL "
                        + isolationLevel((int) bits[SET_TRANSACTION_ISOLATION__INT]));
            }
        }
    }

    /** PostgreSQL's name of JDBC isolation level {@code level}, as pgjdbc names it. */
    private static String isolationLevel(int level) throws SQLException {
        switch (level) {
            case Connection.TRANSACTION_READ_UNCOMMITTED:
                return "READ UNCOMMITTED";
            case Connection.TRANSACTION_READ_COMMITTED:
                return "READ COMMITTED";
            case Connection.TRANSACTION_REPEATABLE_READ:
                return "REPEATABLE READ";
            case Connection.TRANSACTION_SERIALIZABLE:
                return "SERIALIZABLE";
            default:
                throw new SQLException("Transaction isolation level " + level + " not supported.",
                        SqlStates.INVALID_PARAMETER);
        }
    }

    /** Restores what this connection changed on {@code p} (session variables, type map, holdability). */
    void restore(Connection p) throws SQLException {
        if (dirty) {
            try (Statement s = p.createStatement()) {
                s.execute("RESET search_path; RESET application_name");
            }
        }
        if (physicalTypeMap != null) {
            p.setTypeMap(physicalTypeMap);
        }
        if (physicalHoldability != -1) {
            p.setHoldability(physicalHoldability);
        }
    }

    /** The physical connection is gone (released or dropped): nothing of it is left to restore. */
    void detach() {
        dirty = false;
        physicalTypeMap = null;
        physicalHoldability = -1;
    }

    /** One client info property; {@code null} removes it. */
    void clientInfo(Connection bound, String name, String value) throws SQLClientInfoException {
        if (clientInfo == null) {
            clientInfo = new Properties();
        }
        if (value == null) {
            clientInfo.remove(name);
        } else {
            clientInfo.setProperty(name, value);
        }
        if (bound != null) {
            bound.setClientInfo(name, value);
            dirty = true;
        }
    }

    /** All client info properties at once. */
    void clientInfo(Connection bound, Properties properties) throws SQLClientInfoException {
        clientInfo = new Properties();
        clientInfo.putAll(properties);
        if (bound != null) {
            bound.setClientInfo(properties);
            dirty = true;
        }
    }
}
