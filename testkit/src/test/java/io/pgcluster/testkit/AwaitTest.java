package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsTheFirstNonNullValue() {
        AtomicInteger calls = new AtomicInteger();
        String v = Await.until("third call", Duration.ofSeconds(5), Duration.ofMillis(1), () -> {
            int n = calls.incrementAndGet();
            if (n == 1) {
                throw new Await.NotYet("first");
            }
            if (n == 2) {
                throw new IllegalStateException("second");
            }
            return "ok";
        });
        assertThat(v).isEqualTo("ok");
        assertThat(calls).hasValue(3);
    }

    @Test
    void timeoutNamesWhatAndTheLastObservation() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Await.until("the moon", Duration.ofMillis(300), Duration.ofMillis(20), () -> {
            throw new Await.NotYet("still night");
        })).isInstanceOf(TestkitException.class)
                .hasMessage("Timed out after 0.3 s waiting for the moon; last observation: still night");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(3));
    }

    @Test
    void abortEndsTheWaitAtOnce() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Await.until("never", Duration.ofSeconds(30), () -> {
            throw new Await.Abort("hopeless");
        })).isInstanceOf(TestkitException.class).hasMessage("hopeless");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void formatsDurations() {
        assertThat(Await.format(Duration.ofSeconds(30))).isEqualTo("30 s");
        assertThat(Await.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    }
}
