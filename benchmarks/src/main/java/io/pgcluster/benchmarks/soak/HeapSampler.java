package io.pgcluster.benchmarks.soak;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Samples the used heap after a full GC at a fixed interval, and judges whether it stayed flat: the slope of a
 * least-squares line through the samples after the first fifth of the run (warm-up: pools, JIT, class loading), in
 * MiB per hour, and a clear leak only when the lowest sample of the last third exceeds the lowest of the first third
 * (after warm-up) by more than {@value #LEAK_MIB} MiB. Minimums are what survives a GC however the samples fall.
 *
 * <p>Thread-safety: one daemon thread samples; the others read after {@link #close()}.
 */
final class HeapSampler implements AutoCloseable {
    static final long LEAK_MIB = 64;

    /** Used heap, in bytes, at {@code atMillis} after the start. */
    record Sample(long atMillis, long usedBytes) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    /** No thread: samples are added by hand (for tests). */
    HeapSampler() {
        this.thread = null;
    }

    HeapSampler(long t0, long intervalMillis) {
        this.thread = new Thread(() -> {
            while (!closed) {
                System.gc();
                long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                add(new Sample((System.nanoTime() - t0) / 1_000_000L, used));
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "soak-heap");
        thread.setDaemon(true);
        thread.start();
    }

    synchronized void add(Sample s) {
        samples.add(s);
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    private List<Sample> afterWarmUp() {
        List<Sample> all = samples();
        return all.subList(all.size() / 5, all.size());
    }

    /** The least-squares slope of used heap after warm-up, in MiB per hour (NaN with fewer than 3 samples). */
    double slopeMibPerHour() {
        List<Sample> s = afterWarmUp();
        int n = s.size();
        if (n < 3) {
            return Double.NaN;
        }
        double mx = 0;
        double my = 0;
        for (Sample x : s) {
            mx += x.atMillis();
            my += x.usedBytes();
        }
        mx /= n;
        my /= n;
        double num = 0;
        double den = 0;
        for (Sample x : s) {
            num += (x.atMillis() - mx) * (x.usedBytes() - my);
            den += (x.atMillis() - mx) * (x.atMillis() - mx);
        }
        return den == 0 ? 0 : num / den * 3_600_000.0 / (1024.0 * 1024.0);
    }

    /** A description of a clear leak, or {@code null} (also with fewer than 6 samples after warm-up). */
    String clearLeak() {
        List<Sample> s = afterWarmUp();
        if (s.size() < 6) {
            return null;
        }
        int third = s.size() / 3;
        long first = s.subList(0, third).stream().mapToLong(Sample::usedBytes).min().orElse(0);
        long last = s.subList(s.size() - third, s.size()).stream().mapToLong(Sample::usedBytes).min().orElse(0);
        long growthMib = (last - first) / (1024 * 1024);
        if (growthMib > LEAK_MIB) {
            return String.format(Locale.ROOT, "used heap after GC grew by %d MiB (lowest of the first third %d MiB, "
                    + "of the last third %d MiB; slope %.1f MiB/h)", growthMib, first >> 20, last >> 20,
                    slopeMibPerHour());
        }
        return null;
    }

    /** {@code min/max MiB and slope}, for the report. */
    String summary() {
        List<Sample> s = samples();
        if (s.isEmpty()) {
            return "no samples";
        }
        long min = s.stream().mapToLong(Sample::usedBytes).min().orElse(0);
        long max = s.stream().mapToLong(Sample::usedBytes).max().orElse(0);
        return String.format(Locale.ROOT, "%d samples; used heap after GC %d-%d MiB; slope after warm-up %.1f MiB/h; "
                + "first %d MiB, last %d MiB", s.size(), min >> 20, max >> 20, slopeMibPerHour(),
                s.get(0).usedBytes() >> 20, s.get(s.size() - 1).usedBytes() >> 20);
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
