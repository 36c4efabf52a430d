package io.pgcluster.jdbc.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgcluster.jdbc.PgClusterDataSource;
import java.util.Objects;

/**
 * Micrometer meters for a {@link PgClusterDataSource}: connections per pool (member and role) with HikariCP's own
 * timers, routing decisions, topology and leader changes, the time from a new leader to the first write committed
 * on it, the topology source's reachability and the topology's age, replica lag per member, connection failures
 * and the SQLStates reported for them, retries of units of work and waits for a leader. Every meter is named
 * {@code pgcluster.*} and tagged {@code cluster=<name>}; docs/metrics.md lists them all.
 *
 * <pre>{@code
 * PgClusterDataSource ds = new PgClusterDataSource(config);
 * new PgClusterMeterBinder(ds).bindTo(prometheusRegistry);
 * // with more tags on every meter:
 * new PgClusterMeterBinder(ds, Tags.of("region", "eu-west-1")).bindTo(registry);
 * }</pre>
 *
 * <p>Micrometer is an optional dependency of the driver: this class is the way in, and only the meters it creates
 * use Micrometer; without a binder the driver never loads a Micrometer class. Binding attaches one set of meters to the data source (see
 * {@link PgClusterDataSource#addMetrics}); {@link #bindTo} may be called for several registries, each getting every
 * meter, and meters follow pools and members as they come and go. When the data source closes, every meter is
 * removed from every registry. Bind each registry once per data source: a second binder bound to the same registry
 * would record the timers twice.
 *
 * <p>The tags carry the cluster's configured name, member names, roles and SQLStates: never a password or a URL.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PgClusterMeterBinder implements MeterBinder {
    private final PgClusterDataSource dataSource;
    private final Tags tags;
    private MicrometerClusterMetrics metrics; // guarded by this

    /** Meters for {@code dataSource}, tagged {@code cluster=<its name>}. */
    public PgClusterMeterBinder(PgClusterDataSource dataSource) {
        this(dataSource, Tags.empty());
    }

    /**
     * Meters for {@code dataSource}, tagged {@code cluster=<its name>} and {@code tags}.
     *
     * @param tags more tags for every meter (a {@code cluster} tag here replaces the data source's name)
     */
    public PgClusterMeterBinder(PgClusterDataSource dataSource, Iterable<Tag> tags) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    /**
     * Registers every meter in {@code registry}. Binding the same registry again, or binding after the data source
     * closed, does nothing.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        metrics().bind(registry);
    }

    private synchronized MicrometerClusterMetrics metrics() {
        if (metrics == null) {
            metrics = new MicrometerClusterMetrics(dataSource.name(), tags);
            dataSource.addMetrics(metrics);
        }
        return metrics;
    }

    @Override
    public String toString() {
        return "PgClusterMeterBinder[" + dataSource.name() + "]";
    }
}
