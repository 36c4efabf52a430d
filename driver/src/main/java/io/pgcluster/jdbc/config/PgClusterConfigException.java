package io.pgcluster.jdbc.config;

/**
 * A pgcluster setting is missing, malformed, out of range or inconsistent with another one.
 *
 * <p>The message names the setting, quotes the offending value (secrets masked) and says what would be right.
 * {@link #property()} tells which catalog entry is at fault, when one is.
 *
 * <p>Thread-safety: immutable.
 */
public final class PgClusterConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient PgClusterProperty property;
    private final String key;

    PgClusterConfigException(PgClusterProperty property, String key, String message) {
        super(message);
        this.property = property;
        this.key = key;
    }

    /** The catalog entry at fault, or {@code null} (an unknown key, or a problem of the URL as a whole). */
    public PgClusterProperty property() {
        return property;
    }

    /** The key at fault as the user wrote it, or {@code null} when the problem is not one key's. */
    public String key() {
        return key;
    }

    static PgClusterConfigException invalidValue(PgClusterProperty p, String raw, String expected) {
        String shown = raw == null ? "(none)" : "'" + (p.isSecret() ? "****" : raw) + "'";
        return new PgClusterConfigException(p, p.key(),
                "Invalid value " + shown + " for pgcluster property '" + p.key() + "': " + expected + ".");
    }

    static PgClusterConfigException missing(PgClusterProperty p, String why) {
        return new PgClusterConfigException(p, p.key(), "pgcluster property '" + p.key() + "' is required: " + why + ".");
    }

    static PgClusterConfigException conflict(PgClusterProperty p, String message) {
        return new PgClusterConfigException(p, p.key(), message);
    }

    static PgClusterConfigException unknownKey(String key, String suggestion) {
        String hint = suggestion == null
                ? "it is neither a pgcluster property nor a pgjdbc connection property; see docs/configuration.md"
                : "did you mean '" + suggestion + "'?";
        return new PgClusterConfigException(null, key, "Unknown property '" + key + "': " + hint);
    }

    static PgClusterConfigException general(String message) {
        return new PgClusterConfigException(null, null, message);
    }
}
