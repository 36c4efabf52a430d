package io.pgcluster.jdbc.internal.connect;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.address.ServerAddress;
import io.pgcluster.jdbc.failover.SqlStates;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import io.pgcluster.jdbc.topology.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens physical pgjdbc connections to one server of the cluster with the configured database, credentials and
 * pass-through pgjdbc properties.
 *
 * <p>The server's host and port come from topology data (a DCS, Patroni's REST API), which pgcluster does not
 * trust to be well-formed. So they never become part of a URL: pgjdbc gets the fixed URL
 * {@code jdbc:postgresql:<database>} (no {@code //}, no parameters; the database, from the configuration, is
 * URL-encoded) and the host and port as the properties {@code PGHOST} and {@code PGPORT}. pgjdbc's
 * {@code Driver.parseURL} lets URL parameters override properties and, in this URL form, takes host and port from
 * the properties; with no parameters in the URL nothing can override the configured {@code sslmode},
 * {@code channelBinding} or any other setting. The host must also pass {@link ServerAddress#checkHost} (one name
 * or IP literal: a comma would make pgjdbc try a second host), and be on {@code allowedHosts} when one is set (the
 * topology source leaves such members out already; this is the last line before a socket is opened).
 *
 * <p>It calls pgjdbc's {@code org.postgresql.Driver} directly (not {@code DriverManager}), so that it cannot
 * loop back into pgcluster's own driver and does not scan registered drivers per connection. The password
 * lives only inside the {@code Properties} handed to pgjdbc.
 *
 * <p>With {@code pooler=node} it also decides where a member is reached ({@link #target}): the pooler next to it
 * (Patroni's {@code proxy_url}, else the PostgreSQL port + {@code poolerPortOffset}), and sets what pgjdbc needs
 * behind a transaction pooler (see {@link #POOLER_DEFAULTS}).
 *
 * <p>Thread-safety: safe for concurrent use (immutable but for the set of members already warned about).
 */
public final class ServerConnector {
    private static final Logger log = LoggerFactory.getLogger(ServerConnector.class);
    private static final org.postgresql.Driver PGJDBC = new org.postgresql.Driver();
    /**
     * What pgjdbc needs behind a transaction pooler, unless the user set it: PgBouncer before 1.21 keeps no
     * prepared statements, and a later transaction may run on another server session, where a named statement
     * pgjdbc prepared ({@code S_1}) does not exist. {@code prepareThreshold=0} keeps every execution on the unnamed
     * statement (parsed and run in one round trip, within the transaction); no statement is cached server-side;
     * {@code readOnlyMode=transaction} (pgjdbc's default, set explicitly) makes {@code setReadOnly} send
     * {@code BEGIN READ ONLY} per transaction, never a {@code SET SESSION CHARACTERISTICS} that would stay on a
     * server session another client gets next.
     */
    static final List<String[]> POOLER_DEFAULTS = List.of(new String[] {"prepareThreshold", "0"},
            new String[] {"preparedStatementCacheQueries", "0"}, new String[] {"readOnlyMode", "transaction"});

    private final String url;
    private final Properties properties;
    private final AllowedHosts allowed;
    private final boolean pooler;
    private final int poolerPortOffset;
    private final Set<String> directWarned;

    public ServerConnector(PgClusterConfig config) {
        this.url = "jdbc:postgresql:" + URLEncoder.encode(config.database(), StandardCharsets.UTF_8);
        Properties p = config.pgjdbcProperties();
        if (config.user() != null) {
            p.setProperty("user", config.user());
        }
        if (config.password() != null) {
            p.setProperty("password", config.password());
        }
        // Defaults the user may override: a name in pg_stat_activity; application_name in the startup packet
        // instead of a separate SET (pgjdbc sends it there from server version 9.0 on); and bounds on connecting,
        // so that a server that accepts TCP but never answers cannot hold a pool's connection-opening thread
        // (pgjdbc's connectTimeout covers only the TCP handshake; loginTimeout the whole start-up).
        String seconds = Long.toString(Math.max(1, (config.connectionTimeout().toMillis() + 999) / 1000));
        p.putIfAbsent("ApplicationName", "pgcluster");
        p.putIfAbsent("assumeMinServerVersion", "9.0");
        p.putIfAbsent("connectTimeout", seconds);
        p.putIfAbsent("loginTimeout", seconds);
        this.pooler = config.pooler() == PgClusterConfig.Pooler.NODE;
        this.poolerPortOffset = config.poolerPortOffset();
        if (pooler) {
            List<String> set = new ArrayList<>();
            for (String[] kv : POOLER_DEFAULTS) {
                if (p.putIfAbsent(kv[0], kv[1]) == null) {
                    set.add(kv[0] + "=" + kv[1]);
                }
            }
            log.info("pgcluster {}: pooler=node: connecting through the pooler next to each member; set {} for "
                    + "transaction pooling (PgBouncer keeps no prepared statements across transactions){}",
                    config.name(), set.isEmpty() ? "nothing (all given)" : String.join(", ", set),
                    set.size() < POOLER_DEFAULTS.size() ? "; given values kept" : "");
        }
        this.properties = p;
        this.allowed = config.allowedHostList();
        this.directWarned = ConcurrentHashMap.newKeySet();
    }

    private ServerConnector(ServerConnector base, Properties properties) {
        this.url = base.url;
        this.properties = properties;
        this.allowed = base.allowed;
        this.pooler = base.pooler;
        this.poolerPortOffset = base.poolerPortOffset;
        this.directWarned = base.directWarned;
    }

    /** A pgjdbc property as every connection gets it (for tests). */
    String property(String key) {
        return properties.getProperty(key);
    }

    /** Whether connections go through a transaction pooler next to each member ({@code pooler=node}). */
    public boolean throughPooler() {
        return pooler;
    }

    /**
     * Where a connection to {@code m} goes: its PostgreSQL address, or with {@code pooler=node} its pooler's:
     * Patroni's {@code proxy_url}, else the same host at the PostgreSQL port + {@code poolerPortOffset}. A member
     * with neither is reached directly, with one WARN per member (again after it had a pooler address): the server
     * is the same and routing stays right; only its connection count is not capped by the pooler.
     */
    public Target target(Member m) {
        if (!pooler) {
            return new Target(m.host(), m.port(), false);
        }
        if (m.hasProxy()) {
            directWarned.remove(m.name());
            return new Target(m.proxyHost(), m.proxyPort(), true);
        }
        if (poolerPortOffset > 0 && m.port() + poolerPortOffset <= 65535) {
            directWarned.remove(m.name());
            return new Target(m.host(), m.port() + poolerPortOffset, true);
        }
        if (directWarned.add(m.name())) {
            log.warn("pgcluster: pooler=node, but member {} ({}) has no pooler address ({}): connecting to it "
                    + "directly. Set postgresql.proxy_address in its Patroni configuration or poolerPortOffset",
                    m.name(), m.address(), poolerPortOffset > 0 ? "its port + poolerPortOffset " + poolerPortOffset
                            + " is above 65535" : "no proxy_url published, poolerPortOffset not set");
        }
        return new Target(m.host(), m.port(), false);
    }

    /**
     * Where connections to a member go.
     *
     * @param host host to connect to
     * @param port port to connect to
     * @param pooler whether that is a pooler in front of the member rather than PostgreSQL itself
     */
    public record Target(String host, int port, boolean pooler) {
        /** {@code host:port}, with an IPv6 literal in brackets, and " (pooler)" for a pooler. */
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + (pooler ? " (pooler)" : "");
        }
    }

    /** A connector whose connections give up connecting and reading after {@code timeout} (for probes). */
    public ServerConnector withTimeouts(Duration timeout) {
        Properties p = new Properties();
        p.putAll(properties);
        String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
        p.setProperty("connectTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        p.setProperty("socketTimeout", seconds);
        return new ServerConnector(this, p);
    }

    /**
     * Opens a new physical connection to {@code host:port}.
     *
     * @throws SQLException {@value SqlStates#UNABLE_TO_CONNECT} without trying when the host or port is malformed or
     *     not allowed; else as pgjdbc reports it
     */
    public Connection connect(String host, int port) throws SQLException {
        String problem = ServerAddress.checkHost(host);
        if (problem == null) {
            problem = ServerAddress.checkPort(port);
        }
        if (problem != null) {
            throw new SQLException("pgcluster: refusing to connect to a malformed server address ("
                    + problem + ")", SqlStates.UNABLE_TO_CONNECT);
        }
        if (!allowed.permits(host)) {
            throw new SQLException("pgcluster: refusing to connect to " + host + ": not in allowedHosts ("
                    + allowed + ")", SqlStates.UNABLE_TO_CONNECT);
        }
        Properties p = new Properties();
        p.putAll(properties);
        p.setProperty("PGHOST", ServerAddress.unbracket(host));
        p.setProperty("PGPORT", Integer.toString(port));
        Connection c = PGJDBC.connect(url, p);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept the URL " + url, SqlStates.UNABLE_TO_CONNECT);
        }
        return c;
    }
}
