package io.pgcluster.jdbc;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.failover.SqlStates;
import java.lang.ref.WeakReference;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clusters that {@link PgClusterDriver} shares between connections of the same effective settings, so that
 * each {@code DriverManager.getConnection} borrows from one topology watch and one set of pools instead of starting
 * its own; and their release.
 *
 * <p>A shared cluster is <em>in use</em> while a connect to it is under way, while a connection it returned is
 * open (neither closed nor garbage collected: connections are held weakly, so a leaked one does not pin the
 * cluster), and for good once {@link #dataSource} handed it out (the caller holds it; {@link #close} or
 * {@link #closeAll} release it). One that is not in use has been <em>idle</em> since the first check that found
 * it so; it is closed, pools and threads, once idle for its {@code sharedIdleTimeout}. The checks run on one
 * daemon thread for the whole driver ({@value #RELEASE_THREAD}), every {@code sharedIdleTimeout / 4} but at least
 * every second and at most every 100 ms; the thread stops when nothing is shared.
 *
 * <p>At most {@link Limit#max()} clusters are shared (JVM-wide: {@value #MAX_PROPERTY}, default
 * {@value #DEFAULT_MAX}). A new one beyond that releases the cluster idle the longest; when none is idle the
 * connect fails with SQLState {@value SqlStates#TOO_MANY_CONNECTIONS} (too many connections: a limit that clears
 * when connections close, not a connection failure that a retry loop would hammer) saying how many are open and
 * why.
 *
 * <p>Thread-safety: safe for concurrent use. One lock guards the map and every entry's bookkeeping, and every
 * decision to release is taken under it: a connect reserves its cluster under the lock before it leaves it, so a
 * check can never find a cluster idle that a connect is about to use, and only the thread that removed an entry
 * from the map closes it (never twice). Opening and closing clusters run outside the lock, so a slow start or stop
 * does not hold up connects to other clusters.
 *
 * @param <D> the shared data source ({@link PgClusterDataSource}; a fake in unit tests)
 */
final class SharedClusters<D> {
    private static final Logger log = LoggerFactory.getLogger(SharedClusters.class);
    /** The system property that caps the number of shared clusters. */
    static final String MAX_PROPERTY = "pgcluster.maxSharedClusters";
    static final int DEFAULT_MAX = 32;
    static final int MAX_MAX = 10_000;
    static final String RELEASE_THREAD = "pgcluster-shared-release";
    private static final long MIN_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What the registry does with the data sources it shares. */
    interface Kind<D> {
        /** Starts one; may throw a RuntimeException when the settings cannot be followed. */
        D open(PgClusterConfig config);

        /** A new connection from {@code ds}; cheap (no I/O). */
        Connection connect(D ds) throws SQLException;

        boolean isClosed(D ds);

        void close(D ds);
    }

    /** The cap, asked each time a new cluster would be started. */
    interface Limit {
        int max() throws SQLException;
    }

    /** One shared cluster and what uses it; every mutable field is guarded by the registry's lock. */
    private static final class Entry<D> {
        final SharedKey key;
        final String name;
        final long idleNanos;
        final CompletableFuture<D> opened = new CompletableFuture<>();
        final List<WeakReference<Connection>> connections = new ArrayList<>();
        D ds; // null while opening
        int connecting;
        boolean pinned;
        boolean idle;
        long idleSince;
        int pruneAt = 64;

        Entry(SharedKey key, PgClusterConfig config) {
            this.key = key;
            this.name = config.name();
            this.idleNanos = config.sharedIdleTimeout().toNanos();
        }

        /** Forgets connections that were closed or collected. */
        void prune() {
            connections.removeIf(ref -> isClosed(ref.get()));
        }

        private static boolean isClosed(Connection c) {
            try {
                return c == null || c.isClosed();
            } catch (SQLException | RuntimeException e) {
                return true;
            }
        }
    }

    private final Kind<D> kind;
    private final Limit limit;
    private final LongSupplier clock;
    private final boolean background;
    private final Map<SharedKey, Entry<D>> byKey = new HashMap<>();
    private ScheduledThreadPoolExecutor releaser;

    /**
     * @param clock {@link System#nanoTime()}, or a fake
     * @param background whether checks run on their own thread ({@code false}: a test calls {@link #check()})
     */
    SharedClusters(Kind<D> kind, Limit limit, LongSupplier clock, boolean background) {
        this.kind = kind;
        this.limit = limit;
        this.clock = clock;
        this.background = background;
    }

    /** The cap from {@value #MAX_PROPERTY}, else {@value #DEFAULT_MAX}. */
    static int maxFromSystemProperty() throws SQLException {
        String v = System.getProperty(MAX_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_MAX;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= MAX_MAX) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SQLNonTransientException("pgcluster: the system property " + MAX_PROPERTY + "='" + v
                + "' is not a whole number from 1 to " + MAX_MAX + " (default " + DEFAULT_MAX + ")",
                SqlStates.INVALID_PARAMETER);
    }

    /**
     * A new connection from the cluster shared for {@code config}, started now if there is none.
     *
     * @throws SQLException 53300 when a new cluster is needed and the cap is reached with none idle; what
     *     {@link Kind#connect} throws
     * @throws RuntimeException when a new cluster cannot be started
     */
    Connection connect(PgClusterConfig config) throws SQLException {
        SharedKey key = new SharedKey(config);
        for (int attempt = 1;; attempt++) {
            Entry<D> e = reserve(key, config, false);
            D ds = e.opened.join(); // completed: reserve() waited for it
            Connection c = null;
            try {
                c = kind.connect(ds);
                return c;
            } catch (SQLException ex) {
                // closed from outside (close(), closeAll(), or its user) in between: the next attempt starts anew
                if (!kind.isClosed(ds) || attempt == 3) {
                    throw ex;
                }
            } finally {
                registered(e, c);
            }
        }
    }

    /** The data source shared for {@code config}, started now if there is none; from now on never idle. */
    D dataSource(PgClusterConfig config) throws SQLException {
        return reserve(new SharedKey(config), config, true).opened.join();
    }

    /** Closes and forgets the data source for {@code config}; whether there was an open one. */
    boolean close(PgClusterConfig config) {
        Entry<D> e;
        synchronized (this) {
            e = byKey.remove(new SharedKey(config));
            stopReleaserIfIdle();
        }
        return e != null && close(e, null);
    }

    /** Closes and forgets every data source; how many were open. */
    int closeAll() {
        List<Entry<D>> all;
        synchronized (this) {
            all = new ArrayList<>(byKey.values());
            byKey.clear();
            stopReleaserIfIdle();
        }
        int n = 0;
        for (Entry<D> e : all) {
            if (close(e, null)) {
                n++;
            }
        }
        return n;
    }

    /** How many open data sources are shared now. */
    synchronized int size() {
        int n = 0;
        for (Entry<D> e : byKey.values()) {
            if (e.ds != null && !kind.isClosed(e.ds)) {
                n++;
            }
        }
        return n;
    }

    /** Whether the release thread runs (for tests). */
    synchronized boolean releasing() {
        return releaser != null;
    }

    /**
     * One check: forgets clusters closed from outside, notes which became idle, and releases those idle for their
     * {@code sharedIdleTimeout}.
     *
     * @return how many were released
     */
    int check() {
        List<Entry<D>> release = new ArrayList<>();
        synchronized (this) {
            long now = clock.getAsLong();
            for (Iterator<Entry<D>> it = byKey.values().iterator(); it.hasNext();) {
                Entry<D> e = it.next();
                if (e.ds != null && kind.isClosed(e.ds)) {
                    it.remove();
                } else if (isIdle(e, now) && now - e.idleSince >= e.idleNanos) {
                    it.remove();
                    release.add(e);
                }
            }
        }
        int n = 0;
        for (Entry<D> e : release) {
            if (close(e, "it had no open connection for " + e.idleNanos / 1_000_000L + " ms (sharedIdleTimeout)")) {
                n++;
            }
        }
        return n;
    }

    // ---- internals ---------------------------------------------------------------------------------------------

    /**
     * The entry for {@code key}, opened, with a connect counted in progress ({@code pin}: pinned for good), so that
     * no check releases it meanwhile.
     */
    private Entry<D> reserve(SharedKey key, PgClusterConfig config, boolean pin) throws SQLException {
        Entry<D> e;
        boolean create = false;
        List<Entry<D>> evicted = List.of();
        synchronized (this) {
            e = byKey.get(key);
            if (e != null && e.ds != null && kind.isClosed(e.ds)) {
                byKey.remove(key); // closed by its user through the handle dataSource() returned
                e = null;
            }
            if (e == null) {
                evicted = makeRoom(config);
                e = new Entry<>(key, config);
                byKey.put(key, e);
                create = true;
                startReleaser();
            }
            if (pin) {
                e.pinned = true;
            } else {
                e.connecting++;
            }
            e.idle = false;
        }
        for (Entry<D> old : evicted) {
            close(old, "the number of shared clusters reached " + MAX_PROPERTY + " and it was idle the longest");
        }
        if (create) {
            open(e, config);
        }
        try {
            e.opened.join(); // another connect may be opening it
        } catch (CompletionException ex) {
            if (!pin) {
                registered(e, null);
            }
            Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw ex;
        }
        return e;
    }

    /** Opens the entry's data source outside the lock; on failure the entry is forgotten. */
    private void open(Entry<D> e, PgClusterConfig config) {
        D ds;
        try {
            ds = kind.open(config);
        } catch (RuntimeException | Error ex) {
            synchronized (this) {
                byKey.remove(e.key, e);
                stopReleaserIfIdle();
            }
            e.opened.completeExceptionally(ex);
            return;
        }
        synchronized (this) {
            e.ds = ds;
        }
        e.opened.complete(ds);
    }

    /** Whether nothing uses {@code e}; notes since when it has been idle. Under the lock. */
    private boolean isIdle(Entry<D> e, long now) {
        if (e.ds == null || e.pinned || e.connecting > 0) {
            e.idle = false;
            return false;
        }
        e.prune();
        if (!e.connections.isEmpty()) {
            e.idle = false;
            return false;
        }
        if (!e.idle) {
            e.idle = true;
            e.idleSince = now;
        }
        return true;
    }

    /** A connect of {@code e} ended, with connection {@code c} or none. */
    private synchronized void registered(Entry<D> e, Connection c) {
        e.connecting--;
        e.idle = false;
        if (c != null) {
            e.connections.add(new WeakReference<>(c));
            if (e.connections.size() >= e.pruneAt) {
                e.prune(); // amortized: a burst of connects between two checks stays bounded
                e.pruneAt = Math.max(64, 2 * e.connections.size());
            }
        }
    }

    /**
     * Under the lock: removes idle clusters, longest idle first, until a new one fits under the cap.
     *
     * @return the removed ones, to close outside the lock
     * @throws SQLException 53300 when the cap is reached and none is idle
     */
    private List<Entry<D>> makeRoom(PgClusterConfig config) throws SQLException {
        int max = limit.max();
        byKey.values().removeIf(x -> x.ds != null && kind.isClosed(x.ds));
        List<Entry<D>> evicted = new ArrayList<>();
        long now = clock.getAsLong();
        while (byKey.size() >= max) {
            Entry<D> oldest = null;
            for (Entry<D> x : byKey.values()) {
                if (isIdle(x, now) && (oldest == null || x.idleSince - oldest.idleSince < 0)) {
                    oldest = x;
                }
            }
            if (oldest == null) {
                throw tooMany(config, max);
            }
            byKey.remove(oldest.key);
            evicted.add(oldest);
        }
        return evicted;
    }

    private SQLException tooMany(PgClusterConfig config, int max) {
        int withConnections = 0;
        int pinned = 0;
        int opening = 0;
        for (Entry<D> x : byKey.values()) {
            if (x.ds == null) {
                opening++;
            } else if (x.pinned) {
                pinned++;
            } else {
                withConnections++;
            }
        }
        return new SQLTransientException("pgcluster: cannot start a shared cluster for '" + config.name() + "': "
                + byKey.size() + " shared clusters are open, the most " + MAX_PROPERTY + " allows (" + max
                + "), and none is idle (" + withConnections + " with connections open or opening, " + pinned
                + " handed out by PgClusterDriver.dataSource, " + opening + " starting). Connections whose URL, "
                + "settings or credentials differ cannot share a cluster: close connections you no longer use, close "
                + "shared clusters with PgClusterDriver.close(url, info), or raise -D" + MAX_PROPERTY,
                SqlStates.TOO_MANY_CONNECTIONS);
    }

    /** Closes the removed entry's data source once it is open; whether it was open. Outside the lock. */
    private boolean close(Entry<D> e, String why) {
        D ds;
        try {
            ds = e.opened.join();
        } catch (CompletionException ex) {
            return false; // never opened
        }
        if (kind.isClosed(ds)) {
            return false;
        }
        if (why != null) {
            log.info("pgcluster {}: releasing the shared cluster: {}", e.name, why);
        }
        try {
            kind.close(ds);
        } catch (RuntimeException ex) {
            log.warn("pgcluster {}: while releasing the shared cluster: {}", e.name, ex.toString());
        }
        return true;
    }

    /** Under the lock: starts the release thread if it does not run. */
    private void startReleaser() {
        if (background && releaser == null) {
            ScheduledThreadPoolExecutor r = DaemonThreads.scheduler("shared", "release");
            releaser = r;
            r.schedule(() -> checkOn(r), checkNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Under the lock: stops the release thread when nothing is shared. */
    private void stopReleaserIfIdle() {
        if (releaser != null && byKey.isEmpty()) {
            releaser.shutdown();
            releaser = null;
        }
    }

    /** A check on release thread {@code r}, then the next one, or the thread's end when nothing is shared. */
    private void checkOn(ScheduledThreadPoolExecutor r) {
        try {
            check();
        } catch (RuntimeException | Error e) {
            log.warn("pgcluster: checking shared clusters for release failed", e);
        } finally {
            synchronized (this) {
                if (releaser == r) {
                    if (byKey.isEmpty()) {
                        stopReleaserIfIdle();
                    } else {
                        r.schedule(() -> checkOn(r), checkNanos(), TimeUnit.NANOSECONDS);
                    }
                }
            }
        }
    }

    /** Under the lock: a quarter of the shortest idle timeout, from 100 ms to 1 s. */
    private long checkNanos() {
        long shortest = MAX_CHECK_NANOS * 4;
        for (Entry<D> e : byKey.values()) {
            shortest = Math.min(shortest, e.idleNanos);
        }
        return Math.max(MIN_CHECK_NANOS, Math.min(MAX_CHECK_NANOS, shortest / 4));
    }
}
