package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterProperty;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The identity of a shared cluster: every effective setting of a {@link PgClusterConfig} in canonical form
 * (typed values, defaults applied, addresses with their ports, pgjdbc properties sorted), so that
 * {@code failoverTimeout=30s} and {@code failoverTimeout=30000} share while different credentials do not.
 *
 * <p>Equality includes the passwords; {@link #toString()} masks them, so a key never prints a secret.
 *
 * <p>Thread-safety: immutable.
 */
final class SharedKey {
    private final Map<PgClusterProperty, Object> values = new EnumMap<>(PgClusterProperty.class);
    private final Map<String, String> pgjdbc = new TreeMap<>();
    private final PgClusterConfig config; // for toString() only: describing it eagerly cost kilobytes per connect
    private final int hash;

    SharedKey(PgClusterConfig config) {
        for (PgClusterProperty p : PgClusterProperty.values()) {
            Object v;
            if (p == PgClusterProperty.SERVERS) {
                v = config.servers();
            } else if (p == PgClusterProperty.READ) {
                v = config.readEndpoint();
            } else {
                v = config.value(p);
            }
            if (v != null) {
                values.put(p, v);
            }
        }
        Properties pg = config.pgjdbcProperties();
        for (String k : pg.stringPropertyNames()) {
            pgjdbc.put(k, pg.getProperty(k));
        }
        this.config = config;
        this.hash = 31 * values.hashCode() + pgjdbc.hashCode();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SharedKey)) {
            return false;
        }
        SharedKey k = (SharedKey) o;
        return hash == k.hash && values.equals(k.values) && pgjdbc.equals(k.pgjdbc);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The settings with secrets masked. */
    @Override
    public String toString() {
        return "SharedKey" + config.describe();
    }
}
