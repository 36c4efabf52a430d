package io.pgcluster.jdbc.internal.metrics;

/**
 * What an observer may read, at any moment, about the physical connections to one member for one kind of
 * {@link Access}: how many, and whether the member is suspect. Read when a gauge is scraped; every method is cheap
 * and never blocks.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public interface ConnectionCounts {

    /** Connections in use. */
    int activeConnections();

    /** Connections idle, ready to be borrowed. */
    int idleConnections();

    /** Connections open, active and idle. */
    int totalConnections();

    /** Threads waiting for a connection. */
    int threadsAwaiting();

    /** The most connections opened ({@code writePoolSize} or {@code readPoolSize}). */
    int maxConnections();

    /** Whether the member refused a connection recently and gets no new work while still in service. */
    boolean isSuspect();
}
