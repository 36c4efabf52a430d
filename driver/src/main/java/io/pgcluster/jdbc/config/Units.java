package io.pgcluster.jdbc.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Parsing and formatting of durations and sizes as users write them. */
final class Units {
    private Units() {
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 1d}, ISO-8601, or bare milliseconds; else null. */
    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            return null;
        }
        if (t.startsWith("P") || t.startsWith("p")) {
            try {
                Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
                return d.isNegative() ? null : d;
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 15) {
            return null;
        }
        long n = Long.parseLong(t.substring(0, i));
        String unit = t.substring(i).trim().toLowerCase(Locale.ROOT);
        switch (unit) {
            case "":
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
            case "min":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            case "d":
                return Duration.ofDays(n);
            default:
                return null;
        }
    }

    /** {@code 1048576}, {@code 512kB}, {@code 16MB}, {@code 1GB} (powers of 1024, as PostgreSQL); else null. */
    static Long parseBytes(String text) {
        String t = text.trim();
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 15) {
            return null;
        }
        long n = Long.parseLong(t.substring(0, i));
        String unit = t.substring(i).trim().toUpperCase(Locale.ROOT);
        switch (unit) {
            case "":
            case "B":
                return n;
            case "K":
            case "KB":
                return n << 10;
            case "M":
            case "MB":
                return n << 20;
            case "G":
            case "GB":
                return n << 30;
            case "T":
            case "TB":
                return n << 40;
            default:
                return null;
        }
    }

    /** The shortest exact form: {@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 1d}. */
    static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1000L == 0) {
            return ms / 1000L + "s";
        }
        return ms + "ms";
    }

    /** {@code 16MB}, {@code 512kB} or bytes. */
    static String formatBytes(long b) {
        if (b != 0 && b % (1L << 30) == 0) {
            return (b >> 30) + "GB";
        }
        if (b != 0 && b % (1L << 20) == 0) {
            return (b >> 20) + "MB";
        }
        if (b != 0 && b % (1L << 10) == 0) {
            return (b >> 10) + "kB";
        }
        return Long.toString(b);
    }
}
