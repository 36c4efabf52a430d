package io.pgcluster.benchmarks.failover;

import java.util.List;
import java.util.Locale;

/**
 * A small SVG chart of write throughput over time around an event, one panel per approach on a shared time axis,
 * written by hand so that the harness needs no plotting tool.
 *
 * <p>Each panel shows successful writes per second (green), failed writes per second (red), the stretch in which no
 * node accepted a probe write (grey: the floor), the moment the event was triggered (t = 0) and the moment the new
 * leader key appeared in etcd (blue).
 */
final class SvgChart {
    private static final int WIDTH = 960;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 60;
    private static final int PANEL = 118;
    private static final int PLOT = 80;
    private static final int BOTTOM = 40;

    /**
     * One approach's timeline.
     *
     * @param title what the panel shows
     * @param ok successful writes per bucket
     * @param failed failed writes per bucket
     * @param keyMs when the new leader key appeared, relative to the event, or -1
     * @param floorFromMs start of the floor stretch
     * @param floorToMs its end
     * @param endMs where the measurement ended (the series stop there)
     */
    record Panel(String title, int[] ok, int[] failed, long keyMs, long floorFromMs, long floorToMs, long endMs) {
    }

    private SvgChart() {
    }

    /**
     * Renders the panels.
     *
     * @param bucketMs width of a bucket of the series
     * @param seriesFromMs time of the first bucket, relative to the event
     * @param fromMs start of the time axis shown
     * @param toMs end of the time axis shown
     */
    static String render(String title, List<Panel> panels, int bucketMs, int seriesFromMs, int fromMs, int toMs) {
        if (panels.isEmpty() || toMs <= fromMs) {
            throw new IllegalArgumentException("nothing to draw: " + panels.size() + " panels, " + fromMs + ".."
                    + toMs);
        }
        double perSecond = 1000.0 / bucketMs;
        double max = 1;
        for (Panel p : panels) {
            for (int i = 0; i < p.ok().length; i++) {
                max = Math.max(max, Math.max(p.ok()[i], p.failed()[i]) * perSecond);
            }
        }
        double yMax = niceCeiling(max);
        int height = TOP + panels.size() * PANEL + BOTTOM;
        int plotWidth = WIDTH - LEFT - RIGHT;
        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(text(LEFT, 20, escape(title), "font-size=\"15\" font-weight=\"bold\""));
        b.append(legend(LEFT, 42));
        for (int k = 0; k < panels.size(); k++) {
            Panel p = panels.get(k);
            int y0 = TOP + k * PANEL + 20;
            int yBase = y0 + PLOT;
            b.append(text(LEFT, y0 - 6, escape(p.title()), "font-weight=\"bold\""));
            double x1 = x(Math.max(fromMs, p.floorFromMs()), fromMs, toMs, plotWidth);
            double x2 = x(Math.min(toMs, p.floorToMs()), fromMs, toMs, plotWidth);
            if (x2 > x1) {
                b.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#dddddd\"/>%n", x1, y0, x2 - x1,
                        PLOT));
            }
            b.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999999\"/>%n", LEFT,
                    y0, plotWidth, PLOT));
            b.append(text(LEFT - 6, y0 + 4, fmt(yMax), "text-anchor=\"end\""));
            b.append(text(LEFT - 6, yBase + 4, "0", "text-anchor=\"end\""));
            b.append(vline(x(0, fromMs, toMs, plotWidth), y0, yBase, "#000000", "4,3"));
            if (p.keyMs() >= fromMs && p.keyMs() <= toMs) {
                b.append(vline(x(p.keyMs(), fromMs, toMs, plotWidth), y0, yBase, "#1f5fbf", "2,2"));
            }
            int end = (int) Math.min(toMs, p.endMs());
            b.append(bars(p.failed(), bucketMs, seriesFromMs, fromMs, end, toMs, plotWidth, yBase, yMax, perSecond));
            b.append(steps(p.ok(), bucketMs, seriesFromMs, fromMs, end, toMs, plotWidth, yBase, yMax, perSecond));
            if (end < toMs) {
                b.append(text(x(end, fromMs, toMs, plotWidth) + 4, yBase - 4, "end of measurement",
                        "fill=\"#999999\" font-size=\"10\""));
            }
            for (int s = (int) Math.ceil(fromMs / 1000.0); s * 1000 <= toMs; s++) {
                double xs = x(s * 1000L, fromMs, toMs, plotWidth);
                b.append(String.format(Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999999\"/>%n", xs, yBase, xs,
                        yBase + 4));
                if (k == panels.size() - 1) {
                    b.append(text(xs, yBase + 17, s + " s", "text-anchor=\"middle\""));
                }
            }
        }
        int yMid = TOP + 20 + PLOT / 2;
        b.append(text(16, yMid, "writes/s", "transform=\"rotate(-90 16 " + yMid + ")\" text-anchor=\"middle\""));
        b.append(text(LEFT + plotWidth / 2.0, height - 8, "time since the event was triggered",
                "text-anchor=\"middle\""));
        b.append("</svg>\n");
        return b.toString();
    }

    private static String legend(int x, int y) {
        return String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"3\" fill=\"#2a9d3a\"/>%n",
                x, y - 5)
                + text(x + 18, y, "successful writes/s", "")
                + String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"#d62728\"/>%n",
                        x + 150, y - 9)
                + text(x + 164, y, "failed writes/s", "")
                + String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"#dddddd\"/>%n",
                        x + 270, y - 9)
                + text(x + 288, y, "no node accepted writes (probes)", "")
                + vline(x + 505, y - 10, y + 2, "#000000", "4,3") + text(x + 510, y, "event triggered", "")
                + vline(x + 620, y - 10, y + 2, "#1f5fbf", "2,2") + text(x + 625, y, "new leader key in etcd", "");
    }

    private static String steps(int[] v, int bucketMs, int seriesFromMs, int fromMs, int endMs, int axisToMs,
            int plotWidth, int yBase, double yMax, double perSecond) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            long t1 = seriesFromMs + (long) i * bucketMs;
            long t2 = t1 + bucketMs;
            if (t2 <= fromMs || t1 >= endMs) {
                continue;
            }
            double y = yBase - v[i] * perSecond / yMax * PLOT;
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f %.1f,%.1f ", x(Math.max(t1, fromMs), fromMs, axisToMs,
                    plotWidth), y, x(Math.min(t2, endMs), fromMs, axisToMs, plotWidth), y));
        }
        return "<polyline fill=\"none\" stroke=\"#2a9d3a\" stroke-width=\"1.5\" points=\"" + pts.toString().trim()
                + "\"/>\n";
    }

    private static String bars(int[] v, int bucketMs, int seriesFromMs, int fromMs, int endMs, int axisToMs,
            int plotWidth, int yBase, double yMax, double perSecond) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            long t1 = seriesFromMs + (long) i * bucketMs;
            long t2 = t1 + bucketMs;
            if (v[i] == 0 || t2 <= fromMs || t1 >= endMs) {
                continue;
            }
            double h = v[i] * perSecond / yMax * PLOT;
            double xa = x(Math.max(t1, fromMs), fromMs, axisToMs, plotWidth);
            double xb = x(Math.min(t2, endMs), fromMs, axisToMs, plotWidth);
            b.append(String.format(Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d62728\"/>%n", xa, yBase - h,
                    xb - xa, h));
        }
        return b.toString();
    }

    private static double x(long ms, int fromMs, int toMs, int plotWidth) {
        return LEFT + (ms - fromMs) * (double) plotWidth / (toMs - fromMs);
    }

    private static String vline(double x, int y1, int y2, String color, String dash) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                + "stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>%n", x, y1, x, y2, color, dash);
    }

    private static String text(double x, double y, String s, String attrs) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" %s>%s</text>%n", x, y, attrs, s);
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}. */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
