package io.pgcluster.examples.plain;

import io.pgcluster.jdbc.PgClusterDataSource;
import io.pgcluster.jdbc.TransactionMode;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterUrl;
import io.pgcluster.jdbc.topology.Member;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * pgcluster from plain Java: a {@link PgClusterDataSource} built from a {@code jdbc:pgcluster:} URL and one built
 * with the builder, a few read-write and read-only transactions, and where each one ran.
 *
 * <p>It reads the cluster's coordinates from the environment that the test kit's rig writes ({@code rig.env}):
 * {@code PGC_URL}, {@code PGC_ETCD}, {@code PGC_SCOPE}, {@code PGC_DATABASE}, {@code PGC_USER},
 * {@code PGC_PASSWORD}. See this module's README.
 */
public final class PlainJavaExample {

    private PlainJavaExample() {
    }

    public static void main(String[] args) throws SQLException {
        String user = required("PGC_USER");
        String password = required("PGC_PASSWORD");

        // 1. By URL: what DriverManager, a pool's jdbcUrl or a tool would be given.
        String url = required("PGC_URL");
        Properties info = new Properties();
        info.setProperty("user", user);
        info.setProperty("password", password);
        System.out.println("A data source from the URL " + PgClusterUrl.mask(url));
        try (PgClusterDataSource ds = new PgClusterDataSource(PgClusterUrl.parse(url, info).build())) {
            run(ds, 5);
        }

        // 2. By builder: every setting checked, by name, at build().
        PgClusterConfig config = PgClusterConfig.builder()
                .etcd(required("PGC_ETCD").replace("http://", ""))
                .scope(required("PGC_SCOPE"))
                .database(required("PGC_DATABASE"))
                .user(user).password(password)
                .loadBalance(PgClusterConfig.LoadBalance.ROUND_ROBIN)
                .maxReplicaLag(16L << 20)
                .failoverTimeout(Duration.ofSeconds(30))
                .build();
        System.out.println("\nA data source from the builder: " + config);
        try (PgClusterDataSource ds = new PgClusterDataSource(config)) {
            run(ds, 5);
        }
    }

    /** A few transactions of each kind, printing where each ran. */
    static void run(PgClusterDataSource ds, int rounds) throws SQLException {
        ds.inTransaction(TransactionMode.READ_WRITE, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS example_orders (id bigserial PRIMARY KEY, item text NOT NULL, "
                        + "created_at timestamptz NOT NULL DEFAULT now())");
            }
            return null;
        });
        for (int i = 1; i <= rounds; i++) {
            int n = i;
            String wrote = ds.inTransaction(TransactionMode.READ_WRITE, c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO example_orders(item) VALUES (?)")) {
                    ps.setString(1, "item " + n);
                    ps.executeUpdate();
                }
                return where(ds, c);
            });
            String read = ds.inTransaction(TransactionMode.READ_ONLY, c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                        "SELECT count(*) FROM example_orders")) {
                    rs.next();
                    return where(ds, c) + ", " + rs.getLong(1) + " orders";
                }
            });
            String plain;
            try (Connection c = ds.getConnection()) {
                c.setReadOnly(true); // plain JDBC: the flag routes, as Spring's @Transactional(readOnly = true) does
                plain = where(ds, c);
            }
            System.out.printf("  round %d: insert on %s | read-only transaction on %s | plain read on %s%n", i, wrote,
                    read, plain);
        }
    }

    /** The member a connection runs on, by the topology's addresses, and its role as the server says. */
    static String where(PgClusterDataSource ds, Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            int port = rs.getInt(1);
            String role = rs.getBoolean(2) ? "replica" : "primary";
            for (Member m : ds.topology().members()) {
                if (m.port() == port) {
                    return m.name() + " (" + role + ")";
                }
            }
            return "port " + port + " (" + role + ")";
        }
    }

    static String required(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set: start the rig with "
                    + "`mvn -q -pl testkit exec:java -Dexec.args=up` and source the rig.env it writes");
        }
        return v;
    }
}
