package io.pgcluster.benchmarks.soak;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a soak run does: how long, which faults how often, how much load, the seed, and the driver's timeouts that
 * the invariants are measured against.
 *
 * <p>Thread-safety: immutable.
 *
 * @param duration how long the load runs (faults are injected during this time)
 * @param faultGapMin shortest quiet time between a recovered cluster and the next fault
 * @param faultGapMax longest quiet time between a recovered cluster and the next fault
 * @param faults the fault kinds drawn from
 * @param seed the seed of every random choice (fault kinds, members, hold times, gaps)
 * @param synchronousMode Patroni's {@code synchronous_mode}; with it a lost acknowledged write is a violation
 * @param writersPerKind writer threads per kind (units of work, plain JDBC)
 * @param readersPerKind reader threads per kind (units of work, plain JDBC)
 * @param pause pause of each worker between two operations
 * @param failoverTimeout the driver's {@code failoverTimeout}
 * @param retryMaxDuration the driver's {@code retryMaxDuration}
 * @param socketTimeout pgjdbc's {@code socketTimeout} for every physical connection
 * @param grace tolerance around topology changes when judging where a read ran, and around leaderless stretches
 * @param heapInterval how often used heap is sampled (after a GC)
 * @param out folder for the report
 */
public record SoakOptions(Duration duration, Duration faultGapMin, Duration faultGapMax, Set<FaultKind> faults,
        long seed, boolean synchronousMode, int writersPerKind, int readersPerKind, Duration pause,
        Duration failoverTimeout, Duration retryMaxDuration, Duration socketTimeout, Duration grace,
        Duration heapInterval, Path out) {

    public SoakOptions {
        faults = Set.copyOf(faults);
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("--faults must name at least one kind of " + FaultKind.labels());
        }
        if (faultGapMax.compareTo(faultGapMin) < 0) {
            throw new IllegalArgumentException("--fault-every: the maximum " + faultGapMax
                    + " is below the minimum " + faultGapMin);
        }
        if (writersPerKind < 1 || readersPerKind < 0) {
            throw new IllegalArgumentException("--writers must be at least 1 and --readers at least 0");
        }
    }

    /** The defaults of {@code scripts/soak.sh}: 10 minutes, a fault every 30-60 s, synchronous mode. */
    public static SoakOptions defaults() {
        return new SoakOptions(Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
                EnumSet.allOf(FaultKind.class), ThreadLocalRandom.current().nextLong(1, 1_000_000_000L), true, 2, 2,
                Duration.ofMillis(20), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(10),
                Duration.ofSeconds(2), Duration.ofSeconds(10), Path.of("benchmarks/target/soak"));
    }

    /**
     * Parses {@code --name value} pairs over {@link #defaults()}.
     *
     * @throws IllegalArgumentException naming the option and what would be right
     */
    public static SoakOptions parse(String... args) {
        SoakOptions o = defaults();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value\n" + usage());
            }
            String v = args[++i];
            switch (name) {
                case "--duration" -> o = o.with(duration(name, v), null, null, null, null, null);
                case "--fault-every" -> {
                    String[] p = v.split("-", 2);
                    Duration min = duration(name, p[0]);
                    Duration max = p.length == 2 ? duration(name, p[1]) : min;
                    o = new SoakOptions(o.duration, min, max, o.faults, o.seed, o.synchronousMode, o.writersPerKind,
                            o.readersPerKind, o.pause, o.failoverTimeout, o.retryMaxDuration, o.socketTimeout,
                            o.grace, o.heapInterval, o.out);
                }
                case "--faults" -> {
                    Set<FaultKind> f = EnumSet.noneOf(FaultKind.class);
                    if (!v.equals("all")) {
                        for (String s : v.split(",")) {
                            f.add(FaultKind.parse(s));
                        }
                    } else {
                        f = EnumSet.allOf(FaultKind.class);
                    }
                    o = o.with(null, f, null, null, null, null);
                }
                case "--seed" -> o = o.with(null, null, number(name, v), null, null, null);
                case "--sync" -> {
                    if (!v.equals("true") && !v.equals("false")) {
                        throw new IllegalArgumentException("--sync must be true or false but was '" + v + "'");
                    }
                    o = o.with(null, null, null, Boolean.parseBoolean(v), null, null);
                }
                case "--writers" -> o = o.with(null, null, null, null, (int) number(name, v), null);
                case "--readers" -> o = o.with(null, null, null, null, null, (int) number(name, v));
                case "--pause" -> o = o.timing(duration(name, v), o.failoverTimeout, o.retryMaxDuration,
                        o.socketTimeout, o.grace, o.heapInterval);
                case "--failover-timeout" -> o = o.timing(o.pause, duration(name, v), o.retryMaxDuration,
                        o.socketTimeout, o.grace, o.heapInterval);
                case "--retry-max-duration" -> o = o.timing(o.pause, o.failoverTimeout, duration(name, v),
                        o.socketTimeout, o.grace, o.heapInterval);
                case "--socket-timeout" -> o = o.timing(o.pause, o.failoverTimeout, o.retryMaxDuration,
                        duration(name, v), o.grace, o.heapInterval);
                case "--grace" -> o = o.timing(o.pause, o.failoverTimeout, o.retryMaxDuration, o.socketTimeout,
                        duration(name, v), o.heapInterval);
                case "--heap-interval" -> o = o.timing(o.pause, o.failoverTimeout, o.retryMaxDuration,
                        o.socketTimeout, o.grace, duration(name, v));
                case "--out" -> o = new SoakOptions(o.duration, o.faultGapMin, o.faultGapMax, o.faults, o.seed,
                        o.synchronousMode, o.writersPerKind, o.readersPerKind, o.pause, o.failoverTimeout,
                        o.retryMaxDuration, o.socketTimeout, o.grace, o.heapInterval, Path.of(v));
                default -> throw new IllegalArgumentException("unknown option " + name + "\n" + usage());
            }
        }
        if (o.socketTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("--socket-timeout must be at least 1s (pgjdbc counts seconds)");
        }
        return o;
    }

    /** The options, one line, with the seed. */
    public String describe() {
        List<String> f = new ArrayList<>();
        for (FaultKind k : FaultKind.values()) {
            if (faults.contains(k)) {
                f.add(k.label());
            }
        }
        return String.format(Locale.ROOT, "--duration %s --fault-every %s-%s --faults %s --seed %d --sync %s "
                + "--writers %d --readers %d --pause %s --failover-timeout %s --retry-max-duration %s "
                + "--socket-timeout %s --grace %s", text(duration), text(faultGapMin), text(faultGapMax),
                String.join(",", f), seed, synchronousMode, writersPerKind, readersPerKind, text(pause),
                text(failoverTimeout), text(retryMaxDuration), text(socketTimeout), text(grace));
    }

    /** Usage text for the command line. */
    public static String usage() {
        return "usage: bash scripts/soak.sh [--duration 10m] [--fault-every 30s-60s] [--faults all|"
                + FaultKind.labels() + "] [--seed N] [--sync true|false] [--writers 2] [--readers 2] [--pause 20ms] "
                + "[--failover-timeout 30s] [--retry-max-duration 60s] [--socket-timeout 10s] [--grace 2s] "
                + "[--heap-interval 10s] [--out DIR]";
    }

    private SoakOptions with(Duration d, Set<FaultKind> f, Long s, Boolean sync, Integer w, Integer r) {
        return new SoakOptions(d == null ? duration : d, faultGapMin, faultGapMax, f == null ? faults : f,
                s == null ? seed : s, sync == null ? synchronousMode : sync, w == null ? writersPerKind : w,
                r == null ? readersPerKind : r, pause, failoverTimeout, retryMaxDuration, socketTimeout, grace,
                heapInterval, out);
    }

    /** A copy with other timings. */
    public SoakOptions timing(Duration pause, Duration failoverTimeout, Duration retryMaxDuration,
            Duration socketTimeout, Duration grace, Duration heapInterval) {
        return new SoakOptions(duration, faultGapMin, faultGapMax, faults, seed, synchronousMode, writersPerKind,
                readersPerKind, pause, failoverTimeout, retryMaxDuration, socketTimeout, grace, heapInterval, out);
    }

    /** A copy with another duration, gap range, fault set and seed. */
    public SoakOptions schedule(Duration duration, Duration gapMin, Duration gapMax, Set<FaultKind> faults,
            long seed) {
        return new SoakOptions(duration, gapMin, gapMax, faults, seed, synchronousMode, writersPerKind,
                readersPerKind, pause, failoverTimeout, retryMaxDuration, socketTimeout, grace, heapInterval, out);
    }

    /** A copy writing its report to {@code dir}. */
    public SoakOptions out(Path dir) {
        return new SoakOptions(duration, faultGapMin, faultGapMax, faults, seed, synchronousMode, writersPerKind,
                readersPerKind, pause, failoverTimeout, retryMaxDuration, socketTimeout, grace, heapInterval, dir);
    }

    /** {@code 90s}, {@code 10m}, {@code 1h}, {@code 500ms} (a number alone means seconds). */
    static Duration duration(String option, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            } else if (s.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(s));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a duration like 500ms, 30s, 10m or 1h but was '"
                    + v + "'");
        }
    }

    private static long number(String option, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a whole number but was '" + v + "'");
        }
    }

    /** A duration as the command line takes it. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        } else if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        } else if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
