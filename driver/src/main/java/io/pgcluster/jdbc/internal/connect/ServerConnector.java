package io.pgcluster.jdbc.internal.connect;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.address.ServerAddress;
import io.pgcluster.jdbc.failover.SqlStates;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

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
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class ServerConnector {
    private static final org.postgresql.Driver PGJDBC = new org.postgresql.Driver();

    private final String url;
    private final Properties properties;
    private final AllowedHosts allowed;

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
        this.properties = p;
        this.allowed = config.allowedHostList();
    }

    private ServerConnector(String url, Properties properties, AllowedHosts allowed) {
        this.url = url;
        this.properties = properties;
        this.allowed = allowed;
    }

    /** A connector whose connections give up connecting and reading after {@code timeout} (for probes). */
    public ServerConnector withTimeouts(Duration timeout) {
        Properties p = new Properties();
        p.putAll(properties);
        String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
        p.setProperty("connectTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        p.setProperty("socketTimeout", seconds);
        return new ServerConnector(url, p, allowed);
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
