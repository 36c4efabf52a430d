package io.pgcluster.benchmarks;

import java.util.Collection;

/** Small statistics over measurements: median, quantiles, maximum; nothing that needs a library. */
public final class Stats {
    private Stats() {
    }

    /**
     * The median (the mean of the two middle values for an even count).
     *
     * @throws IllegalArgumentException for no values
     */
    public static double median(Collection<? extends Number> values) {
        double[] v = values.stream().mapToDouble(Number::doubleValue).sorted().toArray();
        if (v.length == 0) {
            throw new IllegalArgumentException("median of no values");
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /**
     * The {@code q} quantile (0..1), interpolating linearly between the closest ranks.
     *
     * @throws IllegalArgumentException for no values, or {@code q} outside 0..1
     */
    public static double quantile(Collection<? extends Number> values, double q) {
        double[] v = values.stream().mapToDouble(Number::doubleValue).sorted().toArray();
        if (v.length == 0 || q < 0 || q > 1) {
            throw new IllegalArgumentException("quantile " + q + " of " + v.length + " values");
        }
        double pos = q * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    }

    /**
     * The largest value.
     *
     * @throws IllegalArgumentException for no values
     */
    public static double max(Collection<? extends Number> values) {
        return values.stream().mapToDouble(Number::doubleValue).max()
                .orElseThrow(() -> new IllegalArgumentException("max of no values"));
    }
}
