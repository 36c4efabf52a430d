package io.pgcluster.benchmarks.overhead;

import io.pgcluster.benchmarks.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns JMH results into the table of docs/benchmarks.md: per thread count and operation, each side's throughput,
 * the ratio pgcluster / HikariCP (median and middle half of the paired ratios), whether the target is met, and the
 * bytes each side allocates per operation.
 */
final class OverheadReport {

    /**
     * A variant measured in a fork of its own.
     *
     * @param threads JMH threads
     * @param benchmark the benchmark method
     * @param variant {@code hikari}, {@code pgcluster} or {@code pgcluster-inTransaction}
     * @param opsPerSecond JMH's score
     * @param bytesPerOp JMH's {@code gc.alloc.rate.norm}, or NaN
     */
    record Single(int threads, String benchmark, String variant, double opsPerSecond, double bytesPerOp) {
    }

    /**
     * Where a {@code writeThenRead} variant's reads ran, from its fork's {@link OverheadBenchmark.Reads} counters
     * (measurement iterations only). The fresh counts are pgcluster's read-your-writes decisions (0 for HikariCP and
     * with {@code readYourWrites=off}).
     *
     * @param threads JMH threads
     * @param variant {@code hikari}, {@code pgcluster-off} or {@code pgcluster-jvm}
     * @param reads reads of a row just written
     * @param onLeader those that ran on the leader
     * @param stale those that did not see the write
     * @param freshOnReplica reads with a position to see, served by a replica that had replayed it
     * @param freshAfterWait ... by a replica after waiting for it
     * @param freshOnLeader ... by the leader, no replica having replayed it in time
     */
    record ReadPlaces(int threads, String variant, double reads, double onLeader, double stale, double freshOnReplica,
            double freshAfterWait, double freshOnLeader) {
    }

    /**
     * One alternating fork: the measurement iterations of HikariCP and of pgcluster, and the ratio of every two
     * neighbouring iterations.
     *
     * @param threads JMH threads
     * @param round the round (one fork each)
     * @param benchmark {@code abReadWrite}, {@code abReadOnly} or {@code abWriteThenRead}
     * @param api pgcluster's API, {@code plain} or {@code inTransaction}; for {@code abWriteThenRead} its
     *     {@code readYourWrites}, {@code off} or {@code jvm}
     * @param hikari ops/s of HikariCP's iterations
     * @param pgcluster ops/s of pgcluster's iterations
     * @param ratios pgcluster / HikariCP of each pair of neighbouring iterations
     */
    record Alternation(int threads, int round, String benchmark, String api, List<Double> hikari,
            List<Double> pgcluster, List<Double> ratios) {

        /**
         * Splits a fork's measurement iterations by turn: iteration {@code warmup + j} ran on HikariCP when even,
         * on pgcluster when odd ({@link OverheadBenchmark.Alternating}).
         */
        static Alternation of(int threads, int round, String benchmark, String api, int warmup, List<Double> scores) {
            List<Double> h = new ArrayList<>();
            List<Double> p = new ArrayList<>();
            List<Double> r = new ArrayList<>();
            for (int j = 0; j < scores.size(); j++) {
                boolean pgclusterTurn = (warmup + j) % 2 == 1;
                (pgclusterTurn ? p : h).add(scores.get(j));
                if (j + 1 < scores.size()) {
                    double a = scores.get(j);
                    double b = scores.get(j + 1);
                    r.add(pgclusterTurn ? a / b : b / a);
                }
            }
            return new Alternation(threads, round, benchmark, api, h, p, r);
        }
    }

    /** One row of the table. */
    record Row(int threads, String label, double hikari, double pgcluster, List<Double> ratios, double hikariBytes,
            double pgclusterBytes) {
        double medianRatio() {
            return Stats.median(ratios);
        }

        boolean meetsTarget() {
            return medianRatio() >= OverheadRunner.TARGET_RATIO;
        }
    }

    private final List<Single> singles;
    private final List<Alternation> alternations;
    private final List<ReadPlaces> readPlaces;
    private final int[] threads;

    OverheadReport(List<Single> singles, List<Alternation> alternations, int[] threads) {
        this(singles, alternations, List.of(), threads);
    }

    OverheadReport(List<Single> singles, List<Alternation> alternations, List<ReadPlaces> readPlaces, int[] threads) {
        this.singles = List.copyOf(singles);
        this.alternations = List.copyOf(alternations);
        this.readPlaces = List.copyOf(readPlaces);
        this.threads = threads.clone();
    }

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int t : threads) {
            Optional<Single> h = single(t, "getConnectionClose", "hikari");
            Optional<Single> p = single(t, "getConnectionClose", "pgcluster");
            if (h.isPresent() && p.isPresent()) {
                rows.add(new Row(t, "getConnection() + close()", h.get().opsPerSecond(), p.get().opsPerSecond(),
                        List.of(p.get().opsPerSecond() / h.get().opsPerSecond()), h.get().bytesPerOp(),
                        p.get().bytesPerOp()));
            }
            for (String kind : List.of("ReadWrite", "ReadOnly")) {
                for (String api : List.of("plain", "inTransaction")) {
                    String label = "SELECT 1, " + ("ReadWrite".equals(kind) ? "read-write transaction (leader)"
                            : "read-only transaction (replica)") + ", " + ("plain".equals(api) ? "plain JDBC"
                            : "inTransaction(" + ("ReadWrite".equals(kind) ? "READ_WRITE" : "READ_ONLY") + ")");
                    alternated(t, "ab" + kind, api, label, "select1" + kind,
                            "plain".equals(api) ? "pgcluster" : "pgcluster-inTransaction").ifPresent(rows::add);
                }
            }
            for (String ryw : List.of("off", "jvm")) {
                alternated(t, "abWriteThenRead", ryw, "UPDATE, commit, then read it in a read-only transaction, "
                        + "readYourWrites=" + ryw, "writeThenRead", "pgcluster-" + ryw).ifPresent(rows::add);
            }
        }
        return rows;
    }

    /** A row from the alternating forks of {@code ab}, with the bytes per op of {@code single}'s variants. */
    private Optional<Row> alternated(int t, String ab, String api, String label, String single,
            String pgclusterVariant) {
        List<Double> h = new ArrayList<>();
        List<Double> p = new ArrayList<>();
        List<Double> r = new ArrayList<>();
        for (Alternation a : alternations) {
            if (a.threads() == t && a.benchmark().equals(ab) && a.api().equals(api)) {
                h.addAll(a.hikari());
                p.addAll(a.pgcluster());
                r.addAll(a.ratios());
            }
        }
        if (r.isEmpty()) {
            return Optional.empty();
        }
        double hb = single(t, single, "hikari").map(Single::bytesPerOp).orElse(Double.NaN);
        double pb = single(t, single, pgclusterVariant).map(Single::bytesPerOp).orElse(Double.NaN);
        return Optional.of(new Row(t, label, Stats.median(h), Stats.median(p), r, hb, pb));
    }

    private Optional<Single> single(int t, String benchmark, String variant) {
        return singles.stream().filter(s -> s.threads() == t && s.benchmark().equals(benchmark)
                && s.variant().equals(variant)).findFirst();
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| threads | operation | raw HikariCP ops/s | pgcluster ops/s | ratio, median | ratio, middle half "
                + "(pairs) | target >= ").append(fmt(OverheadRunner.TARGET_RATIO, 2))
                .append(" | bytes allocated per op, HikariCP / pgcluster |\n");
        b.append("|---:|---|---:|---:|---:|---:|---|---:|\n");
        for (Row r : rows()) {
            b.append("| ").append(r.threads()).append(" | ").append(r.label()).append(" | ")
                    .append(String.format(Locale.ROOT, "%,.0f", r.hikari())).append(" | ")
                    .append(String.format(Locale.ROOT, "%,.0f", r.pgcluster())).append(" | ")
                    .append(fmt(r.medianRatio(), 3)).append(" | ");
            if (r.ratios().size() > 1) {
                b.append(fmt(Stats.quantile(r.ratios(), 0.25), 3)).append(" – ")
                        .append(fmt(Stats.quantile(r.ratios(), 0.75), 3)).append(" (").append(r.ratios().size())
                        .append(')');
            } else {
                b.append("(separate forks)");
            }
            b.append(" | ").append(r.meetsTarget() ? "met" : "MISSED by "
                    + fmt(OverheadRunner.TARGET_RATIO - r.medianRatio(), 3)).append(" | ")
                    .append(bytes(r.hikariBytes())).append(" / ").append(bytes(r.pgclusterBytes())).append(" |\n");
        }
        b.append(singlesTable());
        b.append(readPlacesTable());
        b.append("\nTransactions: HikariCP and pgcluster take turns by 1-second iteration inside the same forks; ops/s "
                + "is the median of each side's iterations, a ratio compares two neighbouring iterations (pgcluster / "
                + "HikariCP), and the middle half is the 25th to 75th percentile of those ratios. getConnection() + "
                + "close(): one fork per side. Bytes per op: JMH's GC profiler (gc.alloc.rate.norm) in one fork per "
                + "variant, the mean of the measured iterations but the last (JMH closes the data source inside the "
                + "last one, and the profiler counts that too; the JSON files keep every iteration). The raw JMH "
                + "results are in the JSON files beside this report.\n");
        return b.toString();
    }

    /** Every variant measured in its own fork, including HikariCP with reads on one replica only. */
    private String singlesTable() {
        StringBuilder b = new StringBuilder("\nEach variant in a fork of its own (one fork per thread count; "
                + "throughput drifts between forks on a shared machine, so compare ratios above, not these):\n\n"
                + "| threads | benchmark | variant | ops/s | bytes allocated per op |\n|---:|---|---|---:|---:|\n");
        for (Single s : singles) {
            b.append("| ").append(s.threads()).append(" | ").append(s.benchmark()).append(" | ").append(s.variant())
                    .append(" | ").append(String.format(Locale.ROOT, "%,.0f", s.opsPerSecond())).append(" | ")
                    .append(bytes(s.bytesPerOp())).append(" |\n");
        }
        return b.toString();
    }

    /** Where the reads of {@code writeThenRead} ran, per variant; empty without such results. */
    String readPlacesTable() {
        if (readPlaces.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("\nWrite then read (writeThenRead, one fork per variant): where the reads "
                + "of the row just written ran, and how pgcluster's read-your-writes served them:\n\n"
                + "| threads | variant | reads | on the leader | stale (missed the write) | read-your-writes: replica "
                + "at once / replica after waiting / leader |\n|---:|---|---:|---:|---:|---:|\n");
        for (ReadPlaces p : readPlaces) {
            b.append("| ").append(p.threads()).append(" | ").append(p.variant()).append(" | ")
                    .append(String.format(Locale.ROOT, "%,.0f", p.reads())).append(" | ")
                    .append(share(p.onLeader(), p.reads())).append(" | ").append(share(p.stale(), p.reads()))
                    .append(" | ").append(share(p.freshOnReplica(), p.reads())).append(" / ")
                    .append(share(p.freshAfterWait(), p.reads())).append(" / ")
                    .append(share(p.freshOnLeader(), p.reads())).append(" |\n");
        }
        return b.toString();
    }

    /** {@code n} as a percentage of {@code of}, one decimal. */
    static String share(double n, double of) {
        return of > 0 ? String.format(Locale.ROOT, "%.1f%%", 100 * n / of) : "n/a";
    }

    private static String bytes(double d) {
        return Double.isNaN(d) ? "n/a" : String.format(Locale.ROOT, "%,.0f", d);
    }

    private static String fmt(double d, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", d);
    }
}
