package io.pgcluster.jdbc.config;

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
 * <p>It calls pgjdbc's {@code org.postgresql.Driver} directly (not {@code DriverManager}), so that it cannot
 * loop back into pgcluster's own driver and does not scan registered drivers per connection. The password
 * lives only inside the {@code Properties} handed to pgjdbc.
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class ServerConnector {
    private static final org.postgresql.Driver PGJDBC = new org.postgresql.Driver();

    private final String encodedDatabase;
    private final Properties properties;

    public ServerConnector(PgClusterConfig config) {
        this.encodedDatabase = URLEncoder.encode(config.database(), StandardCharsets.UTF_8);
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
    }

    private ServerConnector(String encodedDatabase, Properties properties) {
        this.encodedDatabase = encodedDatabase;
        this.properties = properties;
    }

    /** A connector whose connections give up connecting and reading after {@code timeout} (for probes). */
    public ServerConnector withTimeouts(Duration timeout) {
        Properties p = new Properties();
        p.putAll(properties);
        String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
        p.setProperty("connectTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        p.setProperty("socketTimeout", seconds);
        return new ServerConnector(encodedDatabase, p);
    }

    /** The pgjdbc URL of one server, without credentials. */
    public String url(String host, int port) {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + encodedDatabase;
    }

    /** Opens a new physical connection to {@code host:port}. */
    public Connection connect(String host, int port) throws SQLException {
        String url = url(host, port);
        Connection c = PGJDBC.connect(url, properties);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept the URL " + url, "08001");
        }
        return c;
    }
}
