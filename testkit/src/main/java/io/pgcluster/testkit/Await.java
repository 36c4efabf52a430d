package io.pgcluster.testkit;

import java.time.Duration;

/** Polling with a deadline. Every wait names what it waits for, and a timeout reports the last observation. */
final class Await {
    static final Duration DEFAULT_POLL = Duration.ofMillis(200);

    private Await() {}

    /**
     * A check that returns a non-null value when the condition holds, or null / throws {@link NotYet} (or any other
     * exception) otherwise. An {@link Abort} ends the wait at once: waiting longer cannot help.
     */
    @FunctionalInterface
    interface Probe<T> {
        T check() throws Exception;
    }

    /** Thrown by a probe to say why the condition does not hold yet; its message becomes the last observation. */
    static final class NotYet extends Exception {
        private static final long serialVersionUID = 1L;

        NotYet(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Thrown by a probe when waiting longer cannot help; {@link #until} rethrows the wrapped failure. */
    static final class Abort extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final TestkitException failure;

        Abort(String message) {
            super(message, null, false, false);
            this.failure = new TestkitException(message);
        }
    }

    static <T> T until(String what, Duration timeout, Probe<T> probe) {
        return until(what, timeout, DEFAULT_POLL, probe);
    }

    static <T> T until(String what, Duration timeout, Duration poll, Probe<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no check completed";
        while (true) {
            try {
                T value = probe.check();
                if (value != null) {
                    return value;
                }
                last = "condition false";
            } catch (NotYet e) {
                last = e.getMessage();
            } catch (Abort e) {
                throw e.failure; // fatal: waiting longer cannot help
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestkitException("Interrupted while waiting for " + what + "; last observation: " + last, e);
            } catch (Exception e) {
                last = e.toString();
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new TestkitException(String.format("Timed out after %s waiting for %s; last observation: %s",
                        format(timeout), what, last));
            }
            sleep(Math.min(poll.toNanos(), deadline - now), what);
        }
    }

    static void sleep(long nanos, String what) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while waiting for " + what, e);
        }
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format("%.1f s", ms / 1000.0);
    }

    static String millisSince(long startNanos) {
        return ((System.nanoTime() - startNanos) / 1_000_000) + " ms";
    }
}
