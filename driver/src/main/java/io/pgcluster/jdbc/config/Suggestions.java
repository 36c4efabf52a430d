package io.pgcluster.jdbc.config;

import org.postgresql.PGProperty;

/** Finds the known key nearest to a mistyped one, so that errors can say "did you mean ...". */
final class Suggestions {
    private Suggestions() {
    }

    /** The nearest pgcluster or pgjdbc key within a small edit distance, or {@code null}. */
    static String nearest(String key) {
        if (key == null || key.isEmpty() || key.length() > 64) {
            return null; // no key is that long, and the distance costs its length times each key's
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (PgClusterProperty p : PgClusterProperty.values()) {
            int d = distance(key, p.key());
            if (d < bestDistance) {
                best = p.key();
                bestDistance = d;
            }
        }
        for (PGProperty p : PGProperty.values()) {
            if (PgjdbcProperties.isManaged(p.getName())) {
                continue;
            }
            int d = distance(key, p.getName());
            if (d < bestDistance) {
                best = p.getName();
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, key.length() / 4);
        return bestDistance <= allowed ? best : null;
    }

    /** Levenshtein distance where a change of case alone costs nothing. */
    static int distance(String a, String b) {
        String x = a.toLowerCase(java.util.Locale.ROOT);
        String y = b.toLowerCase(java.util.Locale.ROOT);
        int[] prev = new int[y.length() + 1];
        int[] cur = new int[y.length() + 1];
        for (int j = 0; j <= y.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= x.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= y.length(); j++) {
                int cost = x.charAt(i - 1) == y.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.length()];
    }
}
