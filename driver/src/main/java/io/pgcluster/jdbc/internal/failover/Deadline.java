package io.pgcluster.jdbc.internal.failover;

import java.util.concurrent.TimeUnit;

/**
 * Deadlines as absolute {@link System#nanoTime()} values: computed once where a unit of work or a statement starts
 * and passed down as a {@code long}, so that every wait below it (a leader, a replica, a pool, a retry) spends the
 * same budget instead of starting a clock of its own. Nothing is allocated.
 *
 * <p>Thread-safety: stateless.
 */
public final class Deadline {
    private Deadline() {
    }

    /** The deadline {@code nanos} from now; {@code nanos} is at most an hour or so, far from overflowing. */
    public static long after(long nanos) {
        return System.nanoTime() + nanos;
    }

    /** Whether {@code deadlineNanos} has passed (overflow-safe, as {@link System#nanoTime()} requires). */
    public static boolean passed(long deadlineNanos) {
        return System.nanoTime() - deadlineNanos >= 0;
    }

    /** Milliseconds left until {@code deadlineNanos}, negative once it has passed. */
    public static long remainingMillis(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }
}
