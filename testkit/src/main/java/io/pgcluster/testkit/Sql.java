package io.pgcluster.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** The rig's own JDBC connections: plain pgjdbc (never DriverManager), bounded by timeouts, tagged by name. */
final class Sql {
    static final String APPLICATION_NAME = "pgcluster-testkit";
    private static final org.postgresql.Driver DRIVER = new org.postgresql.Driver();

    private Sql() {}

    static String url(String host, int port, String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    static Connection connect(String host, int port, String database, String user, String password,
            int connectTimeoutSeconds, int socketTimeoutSeconds) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        p.setProperty("loginTimeout", Integer.toString(connectTimeoutSeconds + 2));
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        p.setProperty("sslmode", "disable");
        p.setProperty("ApplicationName", APPLICATION_NAME);
        Connection c = DRIVER.connect(url(host, port, database), p);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept URL " + url(host, port, database));
        }
        return c;
    }

    /** Runs a query and returns the first column of the first row as a string (null if no row). */
    static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
