package io.pgcluster.jdbc.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition with a deadline; the failure names what was awaited. */
final class Awaits {
    private Awaits() {
    }

    static void until(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
