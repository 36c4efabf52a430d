package io.pgcluster.jdbc.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a comma-separated list of function names ({@link PgClusterProperty#WRITE_FUNCTIONS}).
 *
 * <p>A name is an unquoted PostgreSQL identifier: a letter, {@code _} or non-ASCII character, then those, digits or
 * {@code $}, at most 63 characters (PostgreSQL's limit). No schema: the classifier matches a name in every schema, so
 * that a call through {@code search_path} is caught as surely as a qualified one. No quotes: a quoted mixed-case
 * name is matched ignoring case anyway, which errs towards the leader.
 *
 * <p>Thread-safety: stateless.
 */
final class FunctionNames {
    /** PostgreSQL's NAMEDATALEN - 1: a longer name is truncated by the server, so it cannot be meant. */
    static final int MAX_LENGTH = 63;

    private FunctionNames() {
    }

    /**
     * The names in {@code raw}, lower-case, in the order given, without duplicates; empty for {@code null} or
     * blank text.
     *
     * @throws PgClusterConfigException naming the property and the first bad entry
     */
    static List<String> parse(PgClusterProperty p, String raw) {
        List<String> names = new ArrayList<>();
        if (raw == null || raw.isBlank()) {
            return List.of();
        }
        for (String part : raw.split(",", -1)) {
            String name = part.trim();
            String problem = problem(name);
            if (problem != null) {
                throw p.invalid(raw, "entry '" + name + "' " + problem + "; expected function names separated by "
                        + "commas, such as audit_insert,next_order_number");
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (!names.contains(lower)) {
                names.add(lower);
            }
        }
        return List.copyOf(names);
    }

    /** What is wrong with one entry, or {@code null} when it is a valid name. */
    private static String problem(String name) {
        if (name.isEmpty()) {
            return "is empty";
        }
        if (name.indexOf('.') >= 0) {
            return "has a schema; give the name alone, it is matched in every schema";
        }
        if (name.indexOf('"') >= 0) {
            return "is quoted; give the name without quotes, it is matched ignoring case";
        }
        if (name.indexOf('(') >= 0) {
            return "has an argument list; give the name alone, every overload is matched";
        }
        if (name.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        if (!isStart(name.charAt(0))) {
            return "does not start with a letter or '_'";
        }
        for (int i = 1; i < name.length(); i++) {
            if (!isStart(name.charAt(i)) && !(name.charAt(i) >= '0' && name.charAt(i) <= '9')
                    && name.charAt(i) != '$') {
                return "is not an identifier (letters, digits, '_' and '$' only)";
            }
        }
        return null;
    }

    /** As PostgreSQL's scanner: ident_start is [A-Za-z\200-\377_]. */
    private static boolean isStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c > 127;
    }
}
