package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.topology.Member;
import java.io.PrintWriter;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;

/**
 * The physical connection factory HikariCP uses for one member's pool.
 *
 * <p>For a write pool it hands out a connection only once its server is out of recovery, so that a write pool can
 * never hold a connection to a replica, even when the topology is a moment ahead of a promotion (Patroni writes the
 * leader key, then promotes) or a moment behind a switchover. Each new session asks {@code pg_is_in_recovery()}
 * (one round trip, once per physical connection, not per transaction); while it answers true the session polls
 * every 10 ms, up to {@code promotionWait}, and is handed out the moment the promotion completes (a session
 * survives its server's promotion). So the first write after a failover needs no separate probe connection, and
 * HikariCP never backs off after a refused attempt during a promotion. The {@code in_hot_standby} value PostgreSQL
 * 14+ reports at session start is not trusted on its own: PgBouncer replays to every client the value of its
 * pool's first server connection, which can be a server that has been demoted since. Through a pooler next to the
 * member ({@code pooler=node}) the query runs on one of that pooler's server sessions, all to the member itself, and
 * {@code pg_is_in_recovery()} is evaluated when asked, so a pooled session answers for the server as it is now.
 *
 * <p>Every failed attempt that says the member is unreachable is reported at once to {@code onFailure}, so that
 * routing stops sending work there without waiting for HikariCP's timeout; so is a refused login (SQLState 28P01
 * or 28000), so that the pool stops opening connections nobody asked for.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class MemberDataSource implements DataSource {
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(MemberDataSource.class);
    private static final long PROMOTION_POLL_MILLIS = 10;

    private final ServerConnector connector;
    private final Member member;
    /** Where connections go: the member's PostgreSQL, or the pooler next to it ({@code pooler=node}). */
    private final ServerConnector.Target target;
    private final boolean write;
    private final long promotionWaitNanos;
    private final Consumer<SQLException> onFailure;
    private final BooleanSupplier retired;
    private final AtomicBoolean untrustedReported = new AtomicBoolean();

    /**
     * @param promotionWaitMillis how long a new write connection waits for its server to leave recovery; also the
     *     login timeout HikariCP waits for on shutdown
     * @param retired whether the pool was taken out of service: a connection still waiting is then given up
     */
    MemberDataSource(ServerConnector connector, Member member, boolean write, long promotionWaitMillis,
            Consumer<SQLException> onFailure, BooleanSupplier retired) {
        this.connector = connector;
        this.member = member;
        this.target = connector.target(member);
        this.write = write;
        this.promotionWaitNanos = promotionWaitMillis * 1_000_000L;
        this.onFailure = onFailure;
        this.retired = retired;
    }

    /** Where this member's connections go. */
    ServerConnector.Target target() {
        return target;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c;
        try {
            c = connector.connect(target.host(), target.port());
        } catch (SQLException e) {
            SQLException untrusted = untrusted(e);
            if (untrusted != null) {
                throw untrusted;
            }
            if (Failures.isConnectionFailure(e) || MemberPool.isLoginRefused(e)) {
                onFailure.accept(e);
            }
            throw e;
        }
        if (write) {
            try {
                awaitPrimary(c);
            } catch (SQLException e) {
                try {
                    c.close();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                if (Failures.isConnectionFailure(e)) {
                    onFailure.accept(e);
                }
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                c.close();
                throw new SQLException("pgcluster: interrupted while " + member.name() + " completed its promotion",
                        SqlStates.UNABLE_TO_CONNECT, e);
            }
        }
        return c;
    }

    /**
     * A TLS verification failure as its own error ({@link SqlStates#SERVER_NOT_TRUSTED}), or {@code null} for any
     * other failure. pgjdbc reports a certificate that does not verify or does not name the host as a connection
     * failure (08006), which would make routing wait for another leader until failoverTimeout and then say only
     * "no leader"; but no amount of waiting fixes a certificate, so the borrower should hear it at once. The
     * original exception is kept as a suppressed one, not as the cause: its cause chain holds an I/O exception,
     * which would classify it as a connection failure again.
     */
    SQLException untrusted(SQLException e) {
        String what = tlsVerificationProblem(e);
        if (what == null) {
            return null;
        }
        if (what.endsWith(".")) {
            what = what.substring(0, what.length() - 1);
        }
        SQLException s = new SQLException("pgcluster: member " + member.name() + " (" + target
                + ") failed TLS verification: " + what + ". Check that its certificate is signed by the CA in "
                + "sslrootcert and names the address Patroni publishes for it (connect_address), or the sslmode",
                SqlStates.SERVER_NOT_TRUSTED);
        s.addSuppressed(e);
        if (untrustedReported.compareAndSet(false, true)) {
            log.warn("{} (SQLState {}; reported once per pool)", s.getMessage(), s.getSQLState());
        }
        return s;
    }

    /** What in {@code e}'s cause chain says the server's certificate was refused, or {@code null}. */
    static String tlsVerificationProblem(SQLException e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof SSLPeerUnverifiedException || t instanceof CertificateException
                    || t instanceof CertPathValidatorException || t instanceof CertPathBuilderException) {
                return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            }
            // pgjdbc's host-name check (MakeSSL.verifyPeerName) throws 08006 with no cause; its message is the
            // only sign. In a translated locale the message differs and the failure stays a connection failure.
            String m = t.getMessage();
            if (t instanceof SQLException && m != null && m.contains("could not be verified by hostnameverifier")) {
                return m;
            }
        }
        return null;
    }

    private void awaitPrimary(Connection c) throws SQLException, InterruptedException {
        long start = System.nanoTime();
        // a server that accepted the session and then hangs (a stopped host, a cut network) must not hold the check
        // forever: each pg_is_in_recovery() is bounded by the promotion wait (connectionTimeout), then pgjdbc's own
        // socketTimeout is put back
        int socketTimeout = c.getNetworkTimeout();
        c.setNetworkTimeout(Runnable::run, (int) Math.max(1, promotionWaitNanos / 1_000_000L));
        try (Statement s = c.createStatement()) {
            while (inRecovery(s)) {
                if (retired.getAsBoolean()) {
                    throw new SQLException("pgcluster: the write pool for " + member.name() + " was retired while its "
                            + "connection waited for the end of recovery", SqlStates.CONNECTION_CLOSED);
                }
                if (System.nanoTime() - start > promotionWaitNanos) {
                    throw new SQLException("pgcluster: member " + member.name() + " (" + target
                            + ") is still in recovery after " + promotionWaitNanos / 1_000_000L
                            + " ms; it cannot take writes", SqlStates.UNABLE_TO_CONNECT);
                }
                Thread.sleep(PROMOTION_POLL_MILLIS);
            }
        }
        c.setNetworkTimeout(Runnable::run, socketTimeout);
        long waited = (System.nanoTime() - start) / 1_000_000L;
        if (waited > 0) {
            log.debug("pgcluster: {} ({}) accepted writes after {} ms", member.name(), target, waited);
        }
    }

    private static boolean inRecovery(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("pgcluster connects with the configured user");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // pgcluster logs through slf4j
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // connect and login timeouts are pgjdbc properties (connectTimeout, loginTimeout)
    }

    /** How long HikariCP waits, on shutdown, for a connection being opened: the promotion wait, in seconds. */
    @Override
    public int getLoginTimeout() {
        return (int) Math.max(1, (promotionWaitNanos / 1_000_000L + 999) / 1000);
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
