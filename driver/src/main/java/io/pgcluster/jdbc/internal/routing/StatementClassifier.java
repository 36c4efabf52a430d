package io.pgcluster.jdbc.internal.routing;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pgcluster.jdbc.config.PgClusterConfig;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.postgresql.core.NativeQuery;
import org.postgresql.core.Parser;
import org.postgresql.core.SqlCommandType;

/**
 * Decides whether the SQL text of an auto-commit statement only reads, so that a replica may run it
 * ({@link PgClusterConfig#autoCommitReads()}), or may have written, so that its WAL position is worth learning
 * ({@link WritePositions}): the rules of docs/configuration.md, "Auto-commit SELECTs on replicas".
 *
 * <p>The text may go to a replica only when every statement in it is a {@code SELECT}, a {@code WITH} query, a
 * {@code VALUES} or a {@code TABLE}, and nowhere in it, outside string literals, quoted identifiers, dollar quotes and
 * comments, is there:
 * <ul>
 *   <li>a writing or locking keyword: {@code INSERT}, {@code UPDATE}, {@code DELETE}, {@code MERGE} (data-modifying
 *       CTEs, and {@code FOR UPDATE} / {@code FOR NO KEY UPDATE}), {@code INTO} ({@code SELECT ... INTO}), or
 *       {@code SHARE} after {@code FOR} or {@code KEY} ({@code FOR SHARE} / {@code FOR KEY SHARE});</li>
 *   <li>a call of a function that writes or needs the primary ({@link #BUILT_IN_FUNCTIONS},
 *       {@link #BUILT_IN_PREFIXES}) or of one the user listed, by its last name part in any letter case, quoted or
 *       not, schema-qualified or not;</li>
 *   <li>a comment containing {@link #LEADER_HINT}, which the application writes to keep a statement on the leader;</li>
 *   <li>anything this class cannot read with certainty: an unterminated literal, quoted identifier or comment, a
 *       {@code U&"..."} identifier (its escapes could spell any name), a {@code ;} inside parentheses, a statement
 *       that pgjdbc's parser and this class do not both see as a query.</li>
 * </ul>
 * A word that is only a column or table name ({@code update}, {@code into}) sends the text to the leader: safe, and
 * rare. A mistake the other way fails loudly rather than writing: a replica refuses every write with SQLState
 * {@code 25006}.
 *
 * <p>Statements are split and their kind read by pgjdbc's own parser ({@link Parser#parseJdbcSql}); literals,
 * identifiers, dollar quotes and comments are skipped with its helpers, so the text is read as pgjdbc reads it before
 * sending it. String literals are read as with {@code standard_conforming_strings=on}, PostgreSQL's default since
 * 9.1; {@code E'...'} strings honour backslash escapes either way.
 *
 * <p>Results are cached per text in a bounded Caffeine cache (at most {@link #CACHE_CHARS} characters of SQL), since
 * prepared statements and ORMs send the same texts again and again: a cache hit is one hash lookup and allocates
 * nothing.
 *
 * <p>Thread-safety: immutable apart from the cache, which is thread-safe; one instance serves a whole cluster.
 */
public final class StatementClassifier {
    /** A comment that contains this (any letter case) keeps the statement on the leader. */
    public static final String LEADER_HINT = "pgcluster:leader";

    /**
     * Functions that write, take locks or session state that the leader must hold, or need the primary, matched by
     * their whole name: sequences (their session state {@code currval}/{@code lastval} lives where {@code nextval}
     * ran), settings, notifications, transaction ids, WAL, replication slots, server administration, large object
     * writes, remote writes ({@code dblink}), statistics resets.
     */
    public static final Set<String> BUILT_IN_FUNCTIONS = Set.of(
            "nextval", "setval", "currval", "lastval",
            "set_config", "pg_notify", "txid_current", "pg_current_xact_id",
            "pg_switch_wal", "pg_switch_xlog", "pg_start_backup", "pg_stop_backup", "pg_promote",
            "pg_reload_conf", "pg_rotate_logfile", "pg_terminate_backend", "pg_cancel_backend",
            "pg_logical_emit_message", "pg_drop_replication_slot", "pg_replication_slot_advance",
            "pg_import_system_collations", "pg_stat_statements_reset", "lowrite");

    /**
     * Families of such functions, matched by the start of the name: advisory locks, WAL positions of the primary,
     * slot, restore-point and backup management, WAL replay control, replication origins, statistics resets, large
     * objects ({@code lo_}), adminpack's file writes and {@code dblink}.
     */
    public static final List<String> BUILT_IN_PREFIXES = List.of(
            "pg_advisory_", "pg_try_advisory_", "pg_current_wal_", "pg_current_xlog_", "pg_create_", "pg_copy_",
            "pg_logical_slot_", "pg_backup_", "pg_wal_replay_", "pg_xlog_replay_", "pg_replication_origin_",
            "pg_stat_reset", "lo_", "pg_file_", "dblink");

    /** The most SQL text, in characters, whose classification is remembered (about 2 MB of heap at most). */
    public static final int CACHE_CHARS = 1 << 20;

    /** Every text goes to the leader: {@code autoCommitReads=leader}, the default; nothing is parsed or cached. */
    public static final StatementClassifier LEADER_ONLY = new StatementClassifier();

    private final Set<String> userFunctions;
    private final Cache<String, Boolean> cache;

    private StatementClassifier() {
        this.userFunctions = Set.of();
        this.cache = null;
    }

    /**
     * A classifier that also treats these functions as writing.
     *
     * @param writeFunctions names without schema ({@link PgClusterConfig#writeFunctions()}), matched ignoring case
     */
    public StatementClassifier(Collection<String> writeFunctions) {
        this.userFunctions = writeFunctions.stream().map(f -> f.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        // weighed by length, so that a few huge texts cannot hold much memory, nor many small ones crowd it
        this.cache = Caffeine.newBuilder()
                .maximumWeight(CACHE_CHARS)
                .weigher((String sql, Boolean safe) -> sql.length())
                // evictions on the calling thread: a JDBC driver starts no work in the application's common pool
                .executor(Runnable::run)
                .build();
    }

    /** Whether this classifier sends any text to a replica at all ({@code false} for {@link #LEADER_ONLY}). */
    public boolean routesReads() {
        return cache != null;
    }

    /**
     * Whether a replica may run this auto-commit SQL text. Never throws; {@code false} for {@code null}, empty or
     * malformed text.
     */
    public boolean replicaSafe(String sql) {
        if (cache == null || sql == null) {
            return false;
        }
        Boolean known = cache.getIfPresent(sql);
        if (known != null) {
            return known;
        }
        boolean safe = classify(sql, userFunctions);
        cache.put(sql, safe);
        return safe;
    }

    /** How many texts the cache holds now, for tests. */
    long cachedTexts() {
        if (cache == null) {
            return 0;
        }
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Uncached: the rules of the class comment. */
    static boolean classify(String sql, Set<String> userFunctions) {
        try {
            // no parameter rewriting (the text is not changed), split at top-level semicolons, no RETURNING added
            List<NativeQuery> statements = Parser.parseJdbcSql(sql, true, false, true, false, false);
            boolean any = false;
            for (NativeQuery statement : statements) {
                int verdict = scan(statement.nativeSql.toCharArray(), statement.command.getType(), userFunctions);
                if (verdict == LEADER) {
                    return false;
                }
                any |= verdict == READ;
            }
            return any;
        } catch (RuntimeException | java.sql.SQLException e) {
            // pgjdbc's parser is not API: whatever it may throw in another version, the answer is the safe one
            return false;
        }
    }

    /** The verdicts of {@link #scan}. */
    private static final int LEADER = 0;
    private static final int READ = 1;
    private static final int EMPTY = 2;

    /** One statement (no top-level {@code ;}): {@link #READ}, {@link #LEADER} or {@link #EMPTY} (comments only). */
    private static int scan(char[] s, SqlCommandType type, Set<String> userFunctions) {
        int n = s.length;
        String first = null;
        String previous = null;
        int i = 0;
        while (i < n) {
            char c = s[i];
            int end;
            if (c == '\'') {
                end = Parser.parseSingleQuotes(s, i, true);
                if (end >= n || first == null) {
                    return LEADER;
                }
                previous = null;
                i = end + 1;
            } else if (c == '"') {
                end = Parser.parseDoubleQuotes(s, i);
                if (end >= n || i >= 2 && s[i - 1] == '&' && (s[i - 2] | 32) == 'u') {
                    return LEADER;
                }
                String word = new String(s, i + 1, end - i - 1).toLowerCase(Locale.ROOT);
                if (first == null || callsAt(s, end + 1) && isWriteFunction(word, userFunctions)) {
                    return LEADER;
                }
                previous = word;
                i = end + 1;
            } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
                end = Parser.parseLineComment(s, i);
                if (hinted(s, i, end + 1)) {
                    return LEADER;
                }
                i = end + 1;
            } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
                end = Parser.parseBlockComment(s, i);
                if (end >= n || hinted(s, i, end + 1)) {
                    return LEADER;
                }
                i = end + 1;
            } else if (c == '$' && (end = Parser.parseDollarQuotes(s, i)) != i) {
                if (end >= n || first == null) {
                    return LEADER;
                }
                previous = null;
                i = end + 1;
            } else if (c == ';') {
                // pgjdbc splits only at depth 0: this one is inside parentheses, which no query has
                return LEADER;
            } else if (Parser.isIdentifierStartChar(c)) {
                end = i + 1;
                while (end < n && Parser.isIdentifierContChar(s[end])) {
                    end++;
                }
                String word = new String(s, i, end - i).toLowerCase(Locale.ROOT);
                if (first == null) {
                    first = word;
                    if (!isQuery(word, type)) {
                        return LEADER;
                    }
                } else if (writes(s, end, word, previous, userFunctions)) {
                    return LEADER;
                }
                previous = word;
                i = end;
            } else if (c >= '0' && c <= '9') {
                // a number, with its exponent or a following letter (1e5, 0x1F): never a name
                if (first == null) {
                    return LEADER;
                }
                end = i + 1;
                while (end < n && (Parser.isIdentifierContChar(s[end]) || s[end] == '.')) {
                    end++;
                }
                previous = null;
                i = end;
            } else {
                if (!Parser.isSpace(c) && c != '(') {
                    if (first == null) {
                        // only spaces, comments and opening parentheses may come before a query's first word
                        return LEADER;
                    }
                    if (c != '.') {
                        previous = null;
                    }
                }
                i++;
            }
        }
        return first == null ? EMPTY : READ;
    }

    /** A statement's first word makes it a query, and pgjdbc's parser agrees. */
    private static boolean isQuery(String first, SqlCommandType type) {
        switch (first) {
            case "select":
                return type == SqlCommandType.SELECT;
            case "with":
                // pgjdbc 42.7 reports a WITH query by its main statement (even over a data-modifying CTE, which
                // the scan catches by its keyword); older versions report WITH
                return type == SqlCommandType.WITH || type == SqlCommandType.SELECT;
            case "values":
            case "table":
                return type == SqlCommandType.BLANK;
            default:
                return false;
        }
    }

    /** Whether this word, after its predecessor and before {@code s[next..]}, writes or locks. */
    private static boolean writes(char[] s, int next, String word, String previous, Set<String> userFunctions) {
        switch (word) {
            case "insert":
            case "update":
            case "delete":
            case "merge":
            case "into":
                return true;
            case "share":
                if ("for".equals(previous) || "key".equals(previous)) {
                    return true;
                }
                break;
            default:
                break;
        }
        return callsAt(s, next) && isWriteFunction(word, userFunctions);
    }

    /** Whether the next token after {@code s[from..]}, past spaces and comments, is {@code (}: a call. */
    private static boolean callsAt(char[] s, int from) {
        int n = s.length;
        int i = from;
        while (i < n) {
            char c = s[i];
            if (Parser.isSpace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
                i = Parser.parseLineComment(s, i) + 1;
            } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
                i = Parser.parseBlockComment(s, i) + 1;
            } else {
                return c == '(';
            }
        }
        return false;
    }

    private static boolean isWriteFunction(String name, Set<String> userFunctions) {
        if (BUILT_IN_FUNCTIONS.contains(name) || userFunctions.contains(name)) {
            return true;
        }
        for (int i = 0; i < BUILT_IN_PREFIXES.size(); i++) {
            if (name.startsWith(BUILT_IN_PREFIXES.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the comment {@code s[from..to)} contains {@link #LEADER_HINT}, ignoring case. */
    private static boolean hinted(char[] s, int from, int to) {
        int length = LEADER_HINT.length();
        int last = Math.min(to, s.length) - length;
        for (int i = from; i <= last; i++) {
            int k = 0;
            while (k < length && Character.toLowerCase(s[i + k]) == LEADER_HINT.charAt(k)) {
                k++;
            }
            if (k == length) {
                return true;
            }
        }
        return false;
    }
}
