package io.pgcluster.jdbc.config;

import java.util.Locale;
import java.util.Set;
import org.postgresql.PGProperty;

/** Which keys are pgjdbc connection properties, and which of those pgcluster decides itself. */
final class PgjdbcProperties {
    /** Properties that choose or describe the server: pgcluster sets them per member, so users may not. */
    private static final Set<String> MANAGED = Set.of("PGHOST", "PGPORT", "PGDBNAME", "targetServerType",
            "loadBalanceHosts", "hostRecheckSeconds", "readOnly", "readOnlyMode");

    private PgjdbcProperties() {
    }

    static boolean isPgjdbcProperty(String key) {
        return PGProperty.forName(key) != null;
    }

    static boolean isManaged(String key) {
        return MANAGED.contains(key);
    }

    static String managedAlternative(String key) {
        switch (key) {
            case "PGHOST":
            case "PGPORT":
                return PgClusterProperty.SERVERS.key();
            case "PGDBNAME":
                return PgClusterProperty.DATABASE.key();
            case "readOnly":
            case "readOnlyMode":
                return "Connection.setReadOnly, which routes to a replica";
            default:
                return PgClusterProperty.LOAD_BALANCE.key() + " and " + PgClusterProperty.SOURCE.key();
        }
    }

    static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.equals("sslkey");
    }

}
