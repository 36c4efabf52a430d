package io.pgcluster.jdbc.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Parsing and formatting of whole numbers, durations and sizes as users write them. Parsers return {@code null}
 * for text of the wrong form and throw {@link ArithmeticException} for a number too large for its type, so that
 * the caller can say which and name the key.
 *
 * <p>Thread-safety: stateless.
 */
final class Units {
    private Units() {
    }

    /** Digits of a number no unit can hold: more than 19 ASCII digits never fit in a {@code long}. */
    private static final int MAX_DIGITS = 19;

    /**
     * {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 1d}, ISO-8601, or bare milliseconds; else null
     * (also for negative durations and digits other than ASCII 0-9).
     *
     * @throws ArithmeticException when the number is too large for a {@link Duration}: the caller names the key
     */
    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            return null;
        }
        if (t.startsWith("P") || t.startsWith("p")) {
            if (t.length() > 64) {
                return null; // no duration anyone writes; and Duration.parse's regex need not see a megabyte
            }
            try {
                Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
                return d.isNegative() ? null : d;
            } catch (DateTimeParseException e) {
                if (e.getCause() instanceof ArithmeticException) {
                    throw (ArithmeticException) e.getCause(); // PT9999999999999999H: valid, but too large
                }
                return null;
            }
        }
        int i = digits(t);
        if (i == 0) {
            return null;
        }
        String unit = t.substring(i).trim().toLowerCase(Locale.ROOT);
        if (!unit.isEmpty() && !unit.equals("ms") && !unit.equals("s") && !unit.equals("m") && !unit.equals("min")
                && !unit.equals("h") && !unit.equals("d")) {
            return null;
        }
        long n = number(t, i);
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
            default:
                return Duration.ofDays(n);
        }
    }

    /**
     * {@code 1048576}, {@code 512kB}, {@code 16MB}, {@code 1GB}, {@code 1TB} (powers of 1024, as PostgreSQL); else
     * null (also for negative sizes and digits other than ASCII 0-9).
     *
     * @throws ArithmeticException when the size does not fit in a {@code long} ({@code 16777216TB}): the caller
     *     names the key
     */
    static Long parseBytes(String text) {
        String t = text.trim();
        int i = digits(t);
        if (i == 0) {
            return null;
        }
        int shift;
        switch (t.substring(i).trim().toUpperCase(Locale.ROOT)) {
            case "":
            case "B":
                shift = 0;
                break;
            case "K":
            case "KB":
                shift = 10;
                break;
            case "M":
            case "MB":
                shift = 20;
                break;
            case "G":
            case "GB":
                shift = 30;
                break;
            case "T":
            case "TB":
                shift = 40;
                break;
            default:
                return null;
        }
        return Math.multiplyExact(number(t, i), 1L << shift);
    }

    /**
     * A whole number, {@code [+-]?[0-9]+} in ASCII digits only (unlike {@link Integer#parseInt}, which takes any
     * Unicode digit); else null.
     *
     * @throws ArithmeticException when it does not fit in an {@code int}
     */
    static Integer parseInt(String text) {
        String t = text.trim();
        int sign = t.startsWith("-") || t.startsWith("+") ? 1 : 0;
        int i = digits(t.substring(sign));
        if (i == 0 || sign + i != t.length()) {
            return null;
        }
        long n = number(t.substring(sign), i);
        return Math.toIntExact(t.startsWith("-") ? -n : n);
    }

    /** How many ASCII digits {@code t} starts with. */
    private static int digits(String t) {
        int i = 0;
        while (i < t.length() && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    /** The value of the first {@code digits} ASCII digits of {@code t}, leading zeros ignored. */
    private static long number(String t, int digits) {
        int start = 0;
        while (start < digits - 1 && t.charAt(start) == '0') {
            start++;
        }
        if (digits - start > MAX_DIGITS) {
            throw new ArithmeticException("more than " + MAX_DIGITS + " digits");
        }
        try {
            return Long.parseLong(t.substring(start, digits));
        } catch (NumberFormatException e) {
            throw new ArithmeticException("larger than " + Long.MAX_VALUE); // ASCII digits only: nothing else fails
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
