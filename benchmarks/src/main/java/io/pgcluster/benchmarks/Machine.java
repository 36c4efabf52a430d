package io.pgcluster.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** What a result was measured on: date, JVM, cores, memory, load; printed with every report. */
public final class Machine {
    private Machine() {
    }

    /** The 1, 5 and 15 minute load averages from {@code /proc/loadavg}, or "unknown". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * The share of all CPUs busy over {@code sample} (from {@code /proc/stat}: everything but idle and I/O wait), or
     * -1 when unknown. Includes this JVM and the cluster it started, which idle at a few percent.
     */
    public static double cpuBusy(Duration sample) throws InterruptedException {
        long[] a = cpuTimes();
        Thread.sleep(sample.toMillis());
        long[] b = cpuTimes();
        if (a == null || b == null || b[0] == a[0]) {
            return -1;
        }
        return 1.0 - (double) (b[1] - a[1]) / (b[0] - a[0]);
    }

    /** {total, idle + iowait} jiffies of all CPUs, or {@code null}. */
    private static long[] cpuTimes() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Waits, up to {@code maxWait}, until the machine is quiet: at most {@code maxBusy} of the CPUs busy over a
     * 3-second sample. Other builds and tests on a shared machine distort benchmarks; this avoids the worst of it.
     *
     * @return the last busy share measured (-1 if unknown)
     */
    public static double awaitQuiet(double maxBusy, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        boolean told = false;
        while (true) {
            double busy = cpuBusy(Duration.ofSeconds(3));
            if (busy < 0 || busy <= maxBusy || System.nanoTime() - deadline >= 0) {
                if (told) {
                    System.out.printf(Locale.ROOT, "  ... CPU busy %.0f%%, going ahead%n", busy * 100);
                }
                return busy;
            }
            if (!told) {
                System.out.printf(Locale.ROOT, "  the machine is busy (%.0f%% of the CPUs, load average %s): "
                        + "waiting up to %d s for it to quieten ...%n", busy * 100, loadAverage(), maxWait.toSeconds());
                told = true;
            }
        }
    }

    /** A few lines describing this machine and JVM, as Markdown list items. */
    public static String describe() {
        Runtime rt = Runtime.getRuntime();
        return "- pgcluster: commit " + System.getProperty("pgcluster.bench.commit", "unknown") + "\n"
                + "- date: " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + "\n"
                + "- JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")\n"
                + "- OS: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch") + "\n"
                + "- cores available to the JVM: " + rt.availableProcessors() + "; memory: " + memTotal() + "\n"
                + "- load average at start (1/5/15 min): " + loadAverage() + "\n";
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format("%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "unknown";
    }
}
