package io.pgcluster.jdbc.failover;

/**
 * The SQLStates pgcluster reports for failures it translates; see docs/failover.md.
 *
 * <p>Thread-safety: constants only.
 */
public final class SqlStates {
    /** No suitable server: no leader within {@code failoverTimeout}, or no member for a read. */
    public static final String UNABLE_TO_CONNECT = "08001";
    /** The connection failed inside a transaction; the transaction was rolled back and may be run again. */
    public static final String TRANSACTION_LOST = "08006";
    /** The connection failed during COMMIT (or an autocommit write): whether it committed is unknown. */
    public static final String OUTCOME_UNKNOWN = "08007";
    /** The logical connection is closed. */
    public static final String CONNECTION_CLOSED = "08003";
    /** The read-only flag changed inside a transaction (as pgjdbc reports it). */
    public static final String ACTIVE_TRANSACTION = "25001";
    /**
     * The caller's thread was interrupted while pgcluster waited for a connection (a leader, a replica, a pool);
     * nothing was sent, the interrupt flag stays set. PostgreSQL's and pgjdbc's {@code query_canceled}: the caller
     * cancelled. Not a connection failure, not retried by {@code inTransaction}.
     */
    public static final String INTERRUPTED = "57014";
    /**
     * The member's server could not be trusted: its TLS certificate did not verify (unknown CA, expired) or does
     * not name the address the topology gave for it (sslmode=verify-full). Not a connection failure: waiting for
     * another leader or trying again does not help.
     */
    public static final String SERVER_NOT_TRUSTED = "28000";
    /** PostgreSQL's invalid_password: the server refused the login. */
    public static final String INVALID_PASSWORD = "28P01";
    /**
     * PostgreSQL's invalid_authorization_specification: the server refused the login (no pg_hba entry, no such
     * role). The same code as {@link #SERVER_NOT_TRUSTED}, which pgcluster reports for a certificate it refused.
     */
    public static final String INVALID_AUTHORIZATION = "28000";
    /** COMMIT or ROLLBACK in auto-commit mode: no transaction is in progress (as pgjdbc reports it). */
    public static final String NO_ACTIVE_TRANSACTION = "25P01";
    /** The statement was used after it was closed (as pgjdbc reports it). */
    public static final String OBJECT_NOT_IN_STATE = "55000";
    /** A serialization failure: the transaction may succeed when run again from the start. */
    public static final String SERIALIZATION_FAILURE = "40001";
    /** A deadlock: the transaction may succeed when run again from the start. */
    public static final String DEADLOCK = "40P01";
    /** The server is shutting down (an administrator's command). */
    public static final String ADMIN_SHUTDOWN = "57P01";
    /** The server is shutting down after a crash of another backend. */
    public static final String CRASH_SHUTDOWN = "57P02";
    /** The server cannot take a connection now (starting up, or shutting down). */
    public static final String CANNOT_CONNECT_NOW = "57P03";
    /** The class of connection exceptions: every SQLState that starts with it. */
    public static final String CONNECTION_EXCEPTION_CLASS = "08";
    /** The class of authorization failures (a wrong password, a login not allowed, TLS trust). */
    public static final String INVALID_AUTHORIZATION_CLASS = "28";
    /** The database does not exist. */
    public static final String INVALID_CATALOG_NAME = "3D000";
    /**
     * A write refused in a read-only transaction; on the leader's connection, where the session is not read-only,
     * the server it reached is a standby (a demoted leader behind a pooler that kept the session).
     */
    public static final String READ_ONLY_SQL_TRANSACTION = "25006";
    /** A setting or argument has a bad value. */
    public static final String INVALID_PARAMETER = "22023";
    /**
     * PostgreSQL's too_many_connections: the driver would need a new shared cluster beyond its cap
     * ({@code -Dpgcluster.maxSharedClusters}) and none is idle; closing connections clears it.
     */
    public static final String TOO_MANY_CONNECTIONS = "53300";

    private SqlStates() {
    }
}
