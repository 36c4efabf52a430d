package io.pgcluster.benchmarks.overhead;

import io.pgcluster.benchmarks.ClusterAccess;
import io.pgcluster.benchmarks.Machine;
import io.pgcluster.testkit.PatroniCluster;
import io.pgcluster.testkit.PatroniNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Starts a 3-node Patroni cluster, runs {@link OverheadBenchmark} against it, and reports pgcluster's throughput as
 * a ratio of raw HikariCP's, measured in the same run.
 *
 * <p>Per thread count, two parts:
 * <ol>
 *   <li>each variant in a fork of its own, with JMH's GC profiler: throughput of {@code getConnection() + close()},
 *       and the bytes each variant allocates per transaction (which, unlike throughput, does not depend on how busy
 *       the machine is);</li>
 *   <li>{@code abReadWrite} and {@code abReadOnly} in several rounds (a fork each): HikariCP and pgcluster alternate
 *       by iteration inside one fork, and every two neighbouring iterations give a ratio. The report gives the median
 *       of those ratios and their middle half.</li>
 * </ol>
 * {@code writeThenRead} and {@code abWriteThenRead} (a written row read back; read-your-writes on and off) join
 * parts 1 and 2 in a full run (not in {@code --quick} or {@code --alloc}); {@code --rw} runs only them, with 1 thread and one short round, in a few minutes.
 * Before each part and round the runner waits (a bounded time) for a quiet CPU: other builds and tests on a shared
 * machine distort throughput.
 *
 * <pre>
 * bash scripts/bench-overhead.sh [--quick | --alloc | --rw] [--rounds N] [--threads 1,4] [--quiet-wait SECONDS]
 *     [--out DIR]
 * </pre>
 */
public final class OverheadRunner {

    /** The target: pgcluster keeps at least this share of raw HikariCP's throughput. */
    static final double TARGET_RATIO = 0.95;

    private OverheadRunner() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.parse(args);
        Files.createDirectories(s.out);
        String machine = Machine.describe();
        System.out.println("Overhead benchmark: " + s + "\n" + machine);
        long t0 = System.nanoTime();
        try (PatroniCluster cluster = PatroniCluster.builder().nodes(3).start()) {
            PatroniNode leader = cluster.leader();
            List<PatroniNode> replicas = cluster.replicas();
            String replicaList = replicas.stream().map(n -> n.host() + ":" + n.pgPort())
                    .collect(Collectors.joining(","));
            System.out.printf("Cluster up in %.1f s: leader %s (port %d), replicas %s%n",
                    cluster.bringUpTime().toMillis() / 1000.0, leader.name(), leader.pgPort(), replicaList);
            List<String> jvmArgs = new ArrayList<>(ClusterAccess.of(cluster).toSystemProperties());
            jvmArgs.add("-D" + ClusterAccess.propertyName("leader") + "=" + leader.host() + ":" + leader.pgPort());
            jvmArgs.add("-D" + ClusterAccess.propertyName("replicas") + "=" + replicaList);

            List<OverheadReport.Single> singles = new ArrayList<>();
            List<OverheadReport.Alternation> alternations = new ArrayList<>();
            List<OverheadReport.ReadPlaces> readPlaces = new ArrayList<>();
            StringBuilder quiet = new StringBuilder();
            for (int threads : s.threads) {
                quiet.append(quiet.length() == 0 ? "" : "; ").append(threads).append(" thread(s): ")
                        .append(busy(s, threads, "separate forks"));
                runSeparately(s, jvmArgs, threads, singles, readPlaces);
                for (int round = 1; round <= s.rounds; round++) {
                    quiet.append(", ").append(busy(s, threads, "alternating, round " + round + " of " + s.rounds));
                    alternations.addAll(runAlternating(s, jvmArgs, threads, round));
                }
            }
            String after = cluster.leader().name();
            boolean stable = after.equals(leader.name());
            OverheadReport report = new OverheadReport(singles, alternations, readPlaces, s.threads);
            String md = "# pgcluster overhead against raw HikariCP\n\n" + machine
                    + "- load average at end (1/5/15 min): " + Machine.loadAverage() + "\n"
                    + "- CPU busy (all cores, 3 s sample, this cluster's idle load included) before each part: "
                    + quiet + "\n"
                    + "- command: `bash scripts/bench-overhead.sh " + String.join(" ", args) + "`\n"
                    + "- settings: " + s + "\n"
                    + "- cluster: 3 nodes, leader " + leader.name() + (stable ? " throughout" : ", CHANGED to "
                    + after + " during the run: results invalid") + "; replicas "
                    + replicas.stream().map(PatroniNode::name).collect(Collectors.joining(", "))
                    + " (hikari-one-replica: " + replicas.get(0).name() + ")\n"
                    + String.format(Locale.ROOT, "- wall time: %.1f min%n%n", (System.nanoTime() - t0) / 60e9)
                    + report.markdown();
            Files.writeString(s.out.resolve("overhead.md"), md);
            System.out.println("\n" + md);
            System.out.println("Written to " + s.out.resolve("overhead.md") + " (JMH JSON results beside it)");
            if (!stable) {
                System.exit(1);
            }
        }
    }

    private static String busy(Settings s, int threads, String part) throws InterruptedException {
        double busy = Machine.awaitQuiet(s.maxBusy, s.quietWait);
        System.out.printf(Locale.ROOT, "%n=== %d thread(s), %s (CPU busy %.0f%%, load average %s) ===%n", threads,
                part, busy * 100, Machine.loadAverage());
        return String.format(Locale.ROOT, "%.0f%%", busy * 100);
    }

    private static OptionsBuilder options(Settings s, List<String> jvmArgs, int threads, String include, Path json) {
        OptionsBuilder o = new OptionsBuilder();
        o.include(OverheadBenchmark.class.getName() + "\\." + include + "$")
                .forks(1)
                .threads(threads)
                .jvmArgsAppend(jvmArgs.toArray(new String[0]))
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        return o;
    }

    /** Part 1: every variant in its own fork, with the GC profiler. */
    private static void runSeparately(Settings s, List<String> jvmArgs, int threads,
            List<OverheadReport.Single> singles, List<OverheadReport.ReadPlaces> readPlaces) throws Exception {
        OptionsBuilder o = options(s, jvmArgs, threads,
                s.benchmarks("getConnectionClose|select1ReadWrite|select1ReadOnly", "writeThenRead"),
                s.out.resolve("jmh-separate-threads" + threads + ".json"));
        o.warmupIterations(s.warmupIterations).warmupTime(TimeValue.seconds(s.iterationSeconds))
                .measurementIterations(s.measurementIterations).measurementTime(TimeValue.seconds(s.iterationSeconds))
                .addProfiler(GCProfiler.class);
        for (RunResult r : new Runner(o.build()).run()) {
            String variant = r.getParams().getParam("pool") != null ? r.getParams().getParam("pool")
                    : r.getParams().getParam("tx") != null ? r.getParams().getParam("tx")
                    : r.getParams().getParam("rw");
            singles.add(new OverheadReport.Single(threads, method(r), variant, r.getPrimaryResult().getScore(),
                    bytesPerOp(r)));
            if ("writeThenRead".equals(method(r))) {
                readPlaces.add(new OverheadReport.ReadPlaces(threads, variant, events(r, "reads"),
                        events(r, "readsOnLeader"), events(r, "staleReads"), events(r, "freshOnReplica"),
                        events(r, "freshAfterWait"), events(r, "freshOnLeader")));
            }
        }
    }

    /**
     * Bytes allocated per operation (JMH's GC profiler, {@code gc.alloc.rate.norm}), the mean over each fork's measured
     * iterations but its last. JMH runs the trial's {@code @TearDown} (closing the data sources: pools, the etcd
     * client and its transport) inside the last iteration, in the benchmark's own method, so the profiler counts what
     * closing allocates as if the operations had: 10 to 90 bytes per op for pgcluster's close, 1 to 7 for HikariCP's,
     * measured. With a single measured iteration, that one. NaN without the profiler's result.
     */
    static double bytesPerOp(RunResult r) {
        List<List<Double>> forks = new ArrayList<>();
        for (BenchmarkResult fork : r.getBenchmarkResults()) {
            List<Double> values = new ArrayList<>();
            for (IterationResult it : fork.getIterationResults()) {
                Result<?> alloc = allocNorm(it.getSecondaryResults());
                if (alloc != null) {
                    values.add(alloc.getScore());
                }
            }
            forks.add(values);
        }
        return meanButLast(forks);
    }

    /** The mean of every fork's values but its last (all of a fork's one value); NaN with no value. */
    static double meanButLast(List<List<Double>> forks) {
        double sum = 0;
        int n = 0;
        for (List<Double> values : forks) {
            int counted = values.size() > 1 ? values.size() - 1 : values.size();
            for (double v : values.subList(0, counted)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** "gc.alloc.rate.norm" (older JMH versions prefix it with a middle dot). */
    private static Result<?> allocNorm(Map<String, Result> results) {
        return results.entrySet().stream().filter(e -> e.getKey().endsWith("gc.alloc.rate.norm"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
    }

    /**
     * An {@link OverheadBenchmark.Reads} counter summed over the measurement iterations (JMH's own aggregate of an
     * events counter is not documented to be a sum; the report only needs shares, but a sum is the honest count).
     */
    private static double events(RunResult r, String counter) {
        double sum = 0;
        for (BenchmarkResult b : r.getBenchmarkResults()) {
            for (IterationResult i : b.getIterationResults()) {
                Result<?> c = i.getSecondaryResults().get(counter);
                sum += c == null ? 0 : c.getScore();
            }
        }
        return sum;
    }

    /** Part 2: HikariCP and pgcluster alternating by iteration in one fork. */
    private static List<OverheadReport.Alternation> runAlternating(Settings s, List<String> jvmArgs, int threads,
            int round) throws Exception {
        OptionsBuilder o = options(s, jvmArgs, threads, s.benchmarks("abReadWrite|abReadOnly", "abWriteThenRead"),
                s.out.resolve("jmh-alternating-threads" + threads + "-round" + round + ".json"));
        o.warmupIterations(s.abWarmupIterations).warmupTime(TimeValue.seconds(1))
                .measurementIterations(s.abMeasurementIterations).measurementTime(TimeValue.seconds(1));
        List<OverheadReport.Alternation> l = new ArrayList<>();
        for (RunResult r : new Runner(o.build()).run()) {
            List<Double> scores = new ArrayList<>();
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult i : b.getIterationResults()) {
                    scores.add(i.getPrimaryResult().getScore());
                }
            }
            String api = r.getParams().getParam("api") != null ? r.getParams().getParam("api")
                    : r.getParams().getParam("ryw");
            l.add(OverheadReport.Alternation.of(threads, round, method(r), api, s.abWarmupIterations, scores));
        }
        return l;
    }

    private static String method(RunResult r) {
        String full = r.getParams().getBenchmark();
        return full.substring(full.lastIndexOf('.') + 1);
    }

    /** Command line settings. */
    static final class Settings {
        int rounds = 3;
        int[] threads = {1, 4};
        /** The SELECT 1 benchmarks and getConnection() + close(). */
        boolean select1 = true;
        /** The write-then-read benchmarks. */
        boolean writeThenRead = true;
        int warmupIterations = 2;
        int measurementIterations = 3;
        int iterationSeconds = 2;
        /** Even, so that the first measurement iteration is HikariCP's turn. */
        int abWarmupIterations = 4;
        int abMeasurementIterations = 20;
        /** Before each part, wait until at most this share of the CPUs is busy ... */
        double maxBusy = 0.25;
        /** ... but no longer than this. */
        Duration quietWait = Duration.ofMinutes(5);
        Path out = Path.of("benchmarks", "target",
                "bench-overhead-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick":
                        s.rounds = 1;
                        s.threads = new int[] {1};
                        s.warmupIterations = 1;
                        s.measurementIterations = 2;
                        s.abWarmupIterations = 2;
                        s.abMeasurementIterations = 8;
                        s.quietWait = Duration.ofMinutes(1);
                        // SELECT 1 only, comparable with the quick runs recorded before write-then-read existed
                        s.writeThenRead = false;
                        break;
                    case "--alloc":
                        // bytes per operation only: the GC profiler's forks, warmed up for long enough that the
                        // JIT's inlining and escape analysis have settled (after --quick's one 2-second warm-up
                        // iteration B/op still moves by tens of bytes between iterations); nothing alternates
                        s.rounds = 0;
                        s.threads = new int[] {1};
                        s.warmupIterations = 5;
                        s.measurementIterations = 3;
                        s.quietWait = Duration.ZERO;
                        s.writeThenRead = false;
                        break;
                    case "--rw":
                        // the write-then-read benchmarks only, in a few minutes: each variant's fork with the GC
                        // profiler, then one alternating fork per readYourWrites mode
                        s.select1 = false;
                        s.writeThenRead = true;
                        s.rounds = 1;
                        s.threads = new int[] {1};
                        s.abMeasurementIterations = 16;
                        s.quietWait = Duration.ofMinutes(1);
                        break;
                    case "--rounds":
                        s.rounds = positive(args, ++i, "--rounds");
                        break;
                    case "--threads":
                        s.threads = Arrays.stream(value(args, ++i, "--threads").split(",")).map(String::trim)
                                .mapToInt(Integer::parseInt).toArray();
                        break;
                    case "--quiet-wait":
                        s.quietWait = Duration.ofSeconds(Long.parseLong(value(args, ++i, "--quiet-wait")));
                        break;
                    case "--out":
                        s.out = Path.of(value(args, ++i, "--out"));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option '" + args[i] + "'; options: --quick, --alloc, "
                                + "--rw, --rounds N, --threads 1,4, --quiet-wait SECONDS, --out DIR");
                }
            }
            return s;
        }

        /** A JMH include pattern for the benchmark methods of the selected parts, e.g. {@code (a|b|c)}. */
        String benchmarks(String select1Methods, String writeThenReadMethods) {
            List<String> l = new ArrayList<>();
            if (select1) {
                l.add(select1Methods);
            }
            if (writeThenRead) {
                l.add(writeThenReadMethods);
            }
            return "(" + String.join("|", l) + ")";
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static int positive(String[] args, int i, String option) {
            int n = Integer.parseInt(value(args, i, option));
            if (n < 1) {
                throw new IllegalArgumentException(option + " must be at least 1, was " + n);
            }
            return n;
        }

        @Override
        public String toString() {
            return (select1 ? "SELECT 1" + (writeThenRead ? " and write-then-read" : "") : "write-then-read only")
                    + "; threads " + Arrays.toString(threads) + "; separate forks: warm-up " + warmupIterations + " x "
                    + iterationSeconds + " s, measurement " + measurementIterations + " x " + iterationSeconds
                    + " s; alternating: " + rounds + " round(s) of 1 fork, warm-up " + abWarmupIterations
                    + " x 1 s, measurement " + abMeasurementIterations + " x 1 s; before each part wait up to "
                    + quietWait.toSeconds() + " s for at most " + Math.round(maxBusy * 100) + "% CPU busy";
        }
    }
}
