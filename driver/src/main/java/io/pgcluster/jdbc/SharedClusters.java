package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The data sources that {@link PgClusterDriver} shares between connections of the same effective settings, so
 * that each {@code DriverManager.getConnection} borrows from one topology watch and one set of pools instead of
 * starting its own.
 *
 * <p>A data source closed from outside (through the handle {@link PgClusterDriver#dataSource} returned) is
 * replaced by a new one at the next use of its settings.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class SharedClusters {
    private final ConcurrentMap<SharedKey, PgClusterDataSource> byKey = new ConcurrentHashMap<>();

    /** The open data source for {@code config}, started now if there is none. */
    PgClusterDataSource get(PgClusterConfig config) {
        SharedKey key = new SharedKey(config);
        PgClusterDataSource ds = byKey.get(key);
        if (ds != null && !ds.isClosed()) {
            return ds;
        }
        byKey.values().removeIf(PgClusterDataSource::isClosed); // forget data sources closed from outside
        return byKey.compute(key, (k, existing) -> existing != null && !existing.isClosed() ? existing
                : new PgClusterDataSource(config));
    }

    /** Closes and forgets the data source for {@code config}; whether there was an open one. */
    boolean close(PgClusterConfig config) {
        PgClusterDataSource ds = byKey.remove(new SharedKey(config));
        if (ds == null || ds.isClosed()) {
            return false;
        }
        ds.close();
        return true;
    }

    /** Closes and forgets every data source; how many were open. */
    int closeAll() {
        List<PgClusterDataSource> closing = new ArrayList<>();
        byKey.keySet().forEach(k -> {
            PgClusterDataSource ds = byKey.remove(k);
            if (ds != null && !ds.isClosed()) {
                closing.add(ds);
            }
        });
        closing.forEach(PgClusterDataSource::close);
        return closing.size();
    }

    /** How many open data sources are shared now. */
    int size() {
        return (int) byKey.values().stream().filter(ds -> !ds.isClosed()).count();
    }
}
