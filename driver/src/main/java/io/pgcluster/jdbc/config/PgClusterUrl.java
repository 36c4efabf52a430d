package io.pgcluster.jdbc.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Parses {@code jdbc:pgcluster:} URLs into a {@link PgClusterConfig.Builder}.
 *
 * <p>The URL names where the topology comes from, the addresses of that source and the database; every other
 * setting is a {@code key=value} parameter, from the {@link PgClusterProperty} catalog or a pgjdbc connection
 * property that is passed to every physical connection:
 *
 * <pre>
 * jdbc:pgcluster:etcd://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&amp;namespace=/service][&amp;key=value...]
 * jdbc:pgcluster:zookeeper://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&amp;namespace=/service][&amp;key=value...]
 * jdbc:pgcluster:patroni://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...]     (Patroni REST API addresses)
 * jdbc:pgcluster:hosts://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...]       (PostgreSQL servers)
 * jdbc:pgcluster:endpoints://WRITE_HOST:PORT/DATABASE?read=READ_HOST:PORT[&amp;...] (HAProxy/Envoy ports)
 * </pre>
 *
 * <p>As in pgjdbc, the database and parameter values are percent-decoded (UTF-8, {@code +} is a space), and
 * {@code Properties} win over the URL: {@code DriverManager.getConnection(url, user, password)} supplies
 * {@code user} and {@code password} that way. Keys are checked strictly, in the URL and in the
 * {@code Properties} alike: a key that is neither a pgcluster nor a pgjdbc property fails, naming the nearest
 * known key.
 *
 * <pre>{@code
 * Properties info = new Properties();
 * info.setProperty("user", "app");
 * info.setProperty("password", secret);
 * PgClusterConfig config = PgClusterUrl
 *     .parse("jdbc:pgcluster:etcd://10.0.0.1:2379,10.0.0.2:2379/orders?scope=orders&failoverTimeout=20s", info)
 *     .build();
 * }</pre>
 *
 * <p>Every failure is a {@link PgClusterConfigException} whose message quotes the offending part, with
 * passwords masked (see {@link #mask(String)}), and says what would be right.
 *
 * <p>Thread-safety: stateless; all methods are safe for concurrent use.
 */
public final class PgClusterUrl {
    /** The prefix of every pgcluster URL. */
    public static final String PREFIX = "jdbc:pgcluster:";

    private static final String MASK = "****";
    /** Words that make the text before an '=' a password setting's key, in any case. */
    private static final List<String> SECRET_WORDS = List.of("pass", "pasw", "pwd", "secret");
    private static final List<String> SOURCES = PgClusterProperty.SOURCE.choices();

    private PgClusterUrl() {
    }

    /** Whether {@code url} is a pgcluster URL (starts with {@value #PREFIX}); {@code false} for {@code null}. */
    public static boolean accepts(String url) {
        return url != null && url.startsWith(PREFIX);
    }

    /**
     * Parses {@code url} and applies {@code info} over it.
     *
     * @param info connection properties, such as {@code user} and {@code password}; they override the URL's
     *     values; may be {@code null}
     * @return a builder holding the source, the servers, the database and every parameter; {@code build()} it to
     *     check the settings against each other
     * @throws PgClusterConfigException when the URL is malformed, lacks a required part, or holds an unknown key
     *     or a bad value; the message masks passwords
     */
    public static PgClusterConfig.Builder parse(String url, Properties info) {
        try {
            return parseStrictly(url, info);
        } catch (PgClusterConfigException e) {
            throw scrub(e, url, info);
        }
    }

    private static PgClusterConfig.Builder parseStrictly(String url, Properties info) {
        Parts parts = split(url, true);
        Map<String, String> given = properties(info, true);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(PgClusterProperty.SOURCE.key(), parts.source);
        settings.put(PgClusterProperty.SERVERS.key(), parts.servers);
        if (parts.database != null) {
            settings.put(PgClusterProperty.DATABASE.key(), parts.database);
        }
        settings.putAll(parts.params);
        settings.putAll(given);

        PgClusterConfig.Builder builder = PgClusterConfig.builder();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String key = e.getKey();
            try {
                builder.set(key, e.getValue());
            } catch (PgClusterConfigException ex) {
                if (key.equals(PgClusterProperty.SERVERS.key()) && !given.containsKey(key)) {
                    throw new PgClusterConfigException(PgClusterProperty.SERVERS, key,
                            "Bad HOST:PORT list in URL '" + mask(url) + "': " + ex.getMessage());
                }
                throw ex;
            }
        }

        String source = settings.get(PgClusterProperty.SOURCE.key()).toLowerCase(Locale.ROOT);
        PgClusterConfig.Source known = PgClusterConfig.Source.forKey(source);
        String database = settings.get(PgClusterProperty.DATABASE.key());
        if (database == null || database.isEmpty()) {
            throw new PgClusterConfigException(PgClusterProperty.DATABASE, PgClusterProperty.DATABASE.key(),
                    "The URL '" + mask(url) + "' names no database: expected " + form(source)
                            + " (or set 'database' in the Properties).");
        }
        if (known != null && known.needsScope() && isBlank(settings.get(PgClusterProperty.SCOPE.key()))) {
            throw new PgClusterConfigException(PgClusterProperty.SCOPE, PgClusterProperty.SCOPE.key(),
                    "The URL '" + mask(url) + "' lacks 'scope': source " + source + " reads Patroni's keys under "
                            + "<namespace>/<scope>/, so add ?scope=<the Patroni cluster's scope>; expected "
                            + form(source) + ".");
        }
        if (known != null && known.needsReadAddress() && isBlank(settings.get(PgClusterProperty.READ.key()))) {
            throw new PgClusterConfigException(PgClusterProperty.READ, PgClusterProperty.READ.key(),
                    "The URL '" + mask(url) + "' lacks 'read': source endpoints needs the read address (e.g. "
                            + "HAProxy's read port); expected " + form(source) + ".");
        }
        return builder;
    }

    /**
     * Every setting that {@code url} and {@code info} give, as text with secrets replaced by {@code ****}: what
     * {@code Driver.getPropertyInfo} and log lines may show.
     *
     * <p>Best effort: it never throws; a part of the URL that cannot be understood is left out. Keys appear as
     * given ({@code source}, {@code servers} and {@code database} for the URL's parts), {@code Properties} over
     * the URL.
     */
    public static Map<String, String> describe(String url, Properties info) {
        Map<String, String> out = new LinkedHashMap<>();
        Parts parts = split(url, false);
        put(out, PgClusterProperty.SOURCE.key(), parts.source);
        put(out, PgClusterProperty.SERVERS.key(), parts.servers);
        put(out, PgClusterProperty.DATABASE.key(), parts.database);
        out.putAll(parts.params);
        out.putAll(properties(info, false));
        out.keySet().removeIf(k -> !isKnownKey(k) && !isSecretKey(k)); // an unknown key may be anything
        out.replaceAll((k, v) -> isSecretKey(k) || looksSecret(k) ? MASK : maskValue(v));
        return Collections.unmodifiableMap(out);
    }

    /**
     * {@code url} with every password replaced by {@code ****}: the value of each parameter whose key contains
     * {@code password} (ignoring case: {@code password}, {@code dcsPassword}, {@code sslpassword}, ...) or looks
     * like a misspelt or encoded one, wherever it stands (in the query, or in a path that lacks its {@code ?}), and
     * anything that looks like user information ({@code user:password@}) before the host list, even when the host
     * list after it is malformed. Errs on the side of hiding. Returns {@code null} for {@code null}.
     */
    public static String mask(String url) {
        if (url == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(url.length(), 1 << 16));
        int from = authorityStart(url);
        out.append(url, 0, from);
        int at = userInfoEnd(url, from);
        if (at >= 0) {
            // user information first: its password may hold '/', '?', '&' or '@', which would end the parts below
            out.append(maskedUserInfo(url.substring(from, at)));
            from = at + 1;
        }
        maskParameters(url.substring(from), out);
        return PgClusterConfigException.maskUserInfoAnywhere(out.toString());
    }

    /** A setting's text with anything that looks like another setting's password masked (a missing '?' or '&'). */
    static String maskValue(String value) {
        if (value == null) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        maskParameters(value, out);
        return PgClusterConfigException.maskUserInfoAnywhere(out.toString());
    }

    /** {@code text} with user information ({@code user:password@}) before its first host masked, if it has any. */
    static String maskUserInfo(String text) {
        int at = userInfoEnd(text, 0);
        return at < 0 ? text : maskedUserInfo(text.substring(0, at)) + text.substring(at + 1);
    }

    /** {@code user:****@} when the user part is a plain name, else {@code ****@}. */
    private static String maskedUserInfo(String userInfo) {
        int colon = userInfo.indexOf(':');
        if (colon > 0 && colon <= 64) {
            String user = userInfo.substring(0, colon);
            if (user.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '-'
                    || c == '_'))) {
                return user + ":" + MASK + "@";
            }
        }
        return MASK + "@";
    }

    /**
     * Appends {@code rest} (what follows the host list's user information, if any) with the values of password
     * settings masked: the query's {@code key=value} segments, and a {@code password=} in the text before the
     * query (a URL whose {@code ?} is missing or mistyped).
     */
    private static void maskParameters(String rest, StringBuilder out) {
        int query = firstOf(rest, '?', '&', 0);
        String head = query < 0 ? rest : rest.substring(0, query);
        int word = secretWordEnd(head);
        int eq = word < 0 ? -1 : assignment(head, word); // the first '=' that a password word comes before
        boolean afterSecret = false;
        if (eq >= 0) {
            out.append(head, 0, eq + (head.charAt(eq) == '=' ? 1 : 3)).append(MASK);
            afterSecret = true;
        } else {
            out.append(head);
        }
        if (query < 0) {
            return;
        }
        int i = query;
        while (i < rest.length()) {
            char separator = rest.charAt(i);
            int next = firstOf(rest, '&', separator == '?' ? '&' : '?', i + 1);
            String segment = rest.substring(i + 1, next < 0 ? rest.length() : next);
            out.append(separator);
            afterSecret = maskSegment(segment, afterSecret, out);
            i = next < 0 ? rest.length() : next;
        }
    }

    /** Appends one {@code key=value} segment, its value masked when secret; returns whether it was a secret. */
    private static boolean maskSegment(String segment, boolean afterSecret, StringBuilder out) {
        int eq = segment.indexOf('=');
        String key = decodeQuietly(eq < 0 ? segment : segment.substring(0, eq));
        if (!isKnownKey(key) && looksSecret(key) && (eq < 0 || key.indexOf('=') >= 0)) {
            out.append(MASK); // a password setting with an encoded '=': its value is in the key
            return true;
        }
        if (eq >= 0 && (eq == 0 || isSecretKey(key) || !afterSecret && !isKnownKey(key) && looksSecret(key))) {
            out.append(segment, 0, eq + 1).append(MASK); // a value without key may be anything
            return true;
        }
        if (afterSecret && !segment.isEmpty() && !isKnownKey(key)) {
            out.append(MASK); // most likely the rest of a password with an unencoded '&'
            return true;
        }
        if (eq >= 0 && holdsPassword(segment.substring(eq + 1))) {
            out.append(segment, 0, eq + 1).append(MASK); // "user=app;password=..." : a missing '&'
            return true;
        }
        out.append(segment);
        return false;
    }

    /** Whether {@code text} (a value) holds a password setting, e.g. "app;password=...": a '?' or '&' missing. */
    private static boolean holdsPassword(String text) {
        int word = secretWordEnd(text);
        return word >= 0 && assignment(text, word) >= 0;
    }

    /** The index of the first '=' or "%3D" in {@code s} from {@code from}, or -1. */
    private static int assignment(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '=' || c == '%' && s.regionMatches(true, i, "%3D", 0, 3)) {
                return i;
            }
        }
        return -1;
    }

    private static int firstOf(String s, char a, char b, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where the host list (or user information) of {@code url} starts: after {@code jdbc:pgcluster:<source>:} and
     * up to two slashes, whether or not the {@code //} is there; for other text after its first {@code ://}, or 0.
     */
    private static int authorityStart(String url) {
        if (url.startsWith(PREFIX)) {
            int i = PREFIX.length();
            while (i < url.length() && (Character.isLetterOrDigit(url.charAt(i)) || url.charAt(i) == '-'
                    || url.charAt(i) == '_')) {
                i++;
            }
            if (i < url.length() && url.charAt(i) == ':') {
                i++;
            }
            for (int slashes = 0; slashes < 2 && i < url.length() && url.charAt(i) == '/'; slashes++) {
                i++;
            }
            return i;
        }
        int scheme = url.indexOf("://");
        return scheme >= 0 && firstOf(url.substring(0, scheme), '?', '=', 0) < 0 && url.lastIndexOf('@', scheme) < 0
                ? scheme + 3 : 0;
    }

    /**
     * {@code e}, or a copy whose message has every password that {@code url} and {@code info} hold replaced by
     * {@code ****}: a last line of defence behind the masking of each message, for values quoted where no one
     * expected a password (a mistyped URL puts text where the parser does not look for secrets). Passwords shorter
     * than 4 characters, and those equal to a setting's key, are left alone: they would mask common words and keys,
     * and are no secret.
     */
    private static PgClusterConfigException scrub(PgClusterConfigException e, String url, Properties info) {
        String message = e.getMessage();
        for (String secret : secrets(url, info)) {
            if (secret.length() >= 4 && !isKnownKey(secret)) { // "password=password": the key stays readable
                message = message.replace(secret, MASK);
            }
        }
        return message.equals(e.getMessage()) ? e : new PgClusterConfigException(e.property(), e.key(), message);
    }

    /** Every password-like value of {@code url} and {@code info}, raw and decoded. */
    private static List<String> secrets(String url, Properties info) {
        Set<String> out = new LinkedHashSet<>();
        if (url != null) {
            int from = authorityStart(url);
            int at = userInfoEnd(url, from);
            if (at >= 0) {
                String userInfo = url.substring(from, at);
                addSecret(out, userInfo.substring(userInfo.indexOf(':') + 1));
            }
            String rest = url.substring(at >= 0 ? at + 1 : from);
            String[] segments = rest.split("[?&]", -1);
            for (String segment : segments) {
                // every value after a password-like word and '=' (or %3D); the first with all that follows
                int word = 0;
                boolean first = true;
                for (int eq = assignment(segment, 0); eq >= 0; eq = assignment(segment, eq + 1)) {
                    String key = segment.substring(word, eq);
                    int valueStart = eq + (segment.charAt(eq) == '=' ? 1 : 3);
                    if (key.length() <= 64 && (looksSecretText(key) || looksSecret(decodeQuietly(key)))) {
                        if (first) {
                            addSecret(out, segment.substring(valueStart));
                            first = false;
                        }
                        int next = assignment(segment, valueStart);
                        if (next > valueStart) {
                            addSecret(out, segment.substring(valueStart, next));
                        }
                    }
                    word = valueStart;
                }
            }
        }
        properties(info, false).forEach((k, v) -> {
            if (isSecretKey(k) || looksSecret(k)) {
                addSecret(out, v);
            }
        });
        List<String> sorted = new ArrayList<>(out);
        sorted.sort((a, b) -> b.length() - a.length()); // the longest first: one may contain another
        return sorted;
    }

    private static void addSecret(Set<String> out, String raw) {
        out.add(raw);
        String decoded = decodeQuietly(raw);
        if (!decoded.equals(raw)) {
            out.add(decoded);
        }
    }

    /** The URL form of a source, for messages; the general form for {@code null} or an unknown source. */
    static String form(String source) {
        PgClusterConfig.Source s = PgClusterConfig.Source.forKey(source);
        return s != null ? s.urlForm() : "jdbc:pgcluster:<source>://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...] "
                + "where <source> is " + String.join(", ", SOURCES);
    }

    /** Whether a key names a secret: any key containing "password" (ignoring case), or a secret catalog entry. */
    static boolean isSecretKey(String key) {
        if (key == null) {
            return false;
        }
        PgClusterProperty p = PgClusterProperty.forKey(key);
        return (p != null && p.isSecret()) || key.toLowerCase(Locale.ROOT).contains("password");
    }

    private static boolean isKnownKey(String key) {
        return PgClusterProperty.forKey(key) != null || PgjdbcProperties.isPgjdbcProperty(key);
    }

    /**
     * Whether an unknown key (or a key with its value after an encoded '=') may carry a secret: a misspelt or
     * differently cased password key. Errs on the side of hiding.
     */
    private static boolean looksSecret(String key) {
        int eq = key.indexOf('=');
        String k = (eq < 0 ? key : key.substring(0, eq)).toLowerCase(Locale.ROOT);
        return looksSecretText(k) || k.length() <= 12 && Suggestions.distance(k, "password") <= 2;
    }

    /** Whether text before an '=' mentions a password in any common spelling (ignoring case). */
    private static boolean looksSecretText(String text) {
        return secretWordEnd(text) >= 0;
    }

    /** Where the first word of {@link #looksSecretText} in {@code text} ends, or -1; linear in its length. */
    private static int secretWordEnd(String text) {
        for (int i = 0; i < text.length(); i++) {
            for (String word : SECRET_WORDS) {
                if (text.regionMatches(true, i, word, 0, word.length())) {
                    return i + word.length();
                }
            }
        }
        return -1;
    }

    /**
     * The index of the '@' that ends user information ({@code user:password@}) in {@code url} from {@code from}
     * (where the host list starts), or -1. The password may hold any character and the host list after it may be
     * mistyped (a space, ';', a tab, '+'), so this is the last '@' before the query (the first '?' that a known key
     * follows) that is not in the value of a known key after an '&' (a query whose '?' is missing). A '@' in the
     * database name or a parameter value can only make it mask too much.
     */
    static int userInfoEnd(String url, int from) {
        int limit = queryStart(url, from);
        int found = -1;
        boolean inValue = false;
        for (int i = from; i < limit; i++) {
            char c = url.charAt(i);
            if (c == '@' && !inValue) {
                found = i;
            } else if (c == '&') {
                int eq = i + 1;
                while (eq < limit && eq - i <= 64 && url.charAt(eq) != '=' && url.charAt(eq) != '&') {
                    eq++;
                }
                inValue = eq < limit && url.charAt(eq) == '=' && isKnownKey(decodeQuietly(url.substring(i + 1, eq)));
            }
        }
        return found;
    }

    /** The index of the first '?' from {@code from} that a known key follows (the real query), or the length. */
    private static int queryStart(String url, int from) {
        for (int q = url.indexOf('?', from); q >= 0; q = url.indexOf('?', q + 1)) {
            int end = q + 1;
            while (end < url.length() && end - q <= 64 && url.charAt(end) != '=' && url.charAt(end) != '&') {
                end++;
            }
            if (end - q <= 64 && isKnownKey(decodeQuietly(url.substring(q + 1, end)))) {
                return q;
            }
        }
        return url.length();
    }

    /** The parts of a URL; in lenient mode any of them may be missing. */
    private static final class Parts {
        String source;
        String servers;
        String database;
        final Map<String, String> params = new LinkedHashMap<>();
    }

    /**
     * Splits a URL into source, servers, database and parameters. Strict mode throws at the first problem;
     * lenient mode skips what it cannot understand.
     */
    private static Parts split(String url, boolean strict) {
        Parts parts = new Parts();
        if (!accepts(url)) {
            if (strict) {
                throw structural("'" + mask(url) + "' is not a pgcluster URL: expected " + form(null) + ".");
            }
            return parts;
        }
        String rest = url.substring(PREFIX.length());
        int end = 0;
        while (end < rest.length() && (Character.isLetterOrDigit(rest.charAt(end)) || rest.charAt(end) == '-'
                || rest.charAt(end) == '_')) {
            end++;
        }
        String token = rest.substring(0, end);
        String source = token.toLowerCase(Locale.ROOT);
        if (strict) {
            checkSource(url, token, source);
        }
        if (SOURCES.contains(source)) {
            parts.source = source;
        }
        String afterScheme;
        if (rest.startsWith("://", end)) {
            afterScheme = rest.substring(end + 3);
        } else if (strict) {
            throw new PgClusterConfigException(null, null, "The URL '" + mask(url) + "' lacks '//' after '" + PREFIX
                    + token + ":': expected " + form(source) + ".");
        } else {
            // the host list starts where a '//' would have ended: a '//' further on may be inside a value
            afterScheme = url.substring(authorityStart(url));
        }

        int userInfo = userInfoEnd(afterScheme, 0);
        if (userInfo >= 0) {
            if (strict) {
                String userinfo = maskedUserInfo(afterScheme.substring(0, userInfo));
                throw structural("The URL '" + mask(url) + "' has user information ('" + userinfo + "') before "
                        + "the host list, which pgcluster URLs do not support: pass user and password as Properties "
                        + "(DriverManager.getConnection(url, user, password)) or as ?user=...&password=...");
            }
            afterScheme = afterScheme.substring(userInfo + 1);
        }
        int q = afterScheme.indexOf('?');
        String hier = q < 0 ? afterScheme : afterScheme.substring(0, q);
        int slash = hier.indexOf('/');
        String authority = slash < 0 ? hier : hier.substring(0, slash);
        String path = slash < 0 ? null : hier.substring(slash + 1);

        if (authority.isEmpty()) {
            if (strict) {
                throw new PgClusterConfigException(PgClusterProperty.SERVERS, PgClusterProperty.SERVERS.key(),
                        "The URL '" + mask(url) + "' has no HOST:PORT after '//' (servers): expected " + form(source)
                                + ".");
            }
        } else {
            parts.servers = authority;
        }

        if (path != null && !path.isEmpty()) {
            if (path.indexOf('/') >= 0) {
                if (strict) {
                    throw new PgClusterConfigException(PgClusterProperty.DATABASE, PgClusterProperty.DATABASE.key(),
                            "The URL '" + mask(url) + "' has the path '/" + maskValue(path) + "', but the path names "
                                    + "only the database: percent-encode a '/' in the database name as %2F, and give "
                                    + "namespace and scope as parameters (?scope=...&namespace=...); expected "
                                    + form(source) + ".");
                }
            } else if (holdsPassword(path)) {
                if (strict) {
                    throw new PgClusterConfigException(PgClusterProperty.DATABASE, PgClusterProperty.DATABASE.key(),
                            "The URL '" + mask(url) + "' has a password setting in its database name: is the '?' "
                                    + "before the parameters missing? Expected " + form(source) + ".");
                }
            } else {
                parts.database = decode(url, PgClusterProperty.DATABASE.key(), path, strict);
            }
        }

        if (q >= 0) {
            parseQuery(url, afterScheme.substring(q + 1), parts.params, strict);
        }
        return parts;
    }

    private static void checkSource(String url, String token, String source) {
        if (token.isEmpty()) {
            throw new PgClusterConfigException(PgClusterProperty.SOURCE, PgClusterProperty.SOURCE.key(),
                    "The URL '" + mask(url) + "' names no topology source: expected " + form(null) + ".");
        }
        if (!SOURCES.contains(source)) {
            String nearest = nearestSource(source);
            throw new PgClusterConfigException(PgClusterProperty.SOURCE, PgClusterProperty.SOURCE.key(),
                    "Unknown topology source '" + token + "' in URL '" + mask(url) + "': "
                            + (nearest == null ? "" : "did you mean '" + nearest + "'? ") + "The sources are "
                            + String.join(", ", SOURCES) + ", as in " + form(null) + ".");
        }
    }

    private static String nearestSource(String source) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String s : SOURCES) {
            int d = Suggestions.distance(source, s);
            if (d < bestDistance) {
                best = s;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, source.length() / 3) ? best : null;
    }

    private static void parseQuery(String url, String query, Map<String, String> params, boolean strict) {
        String[] segments = query.split("&", -1);
        String secretKey = null;
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.isEmpty()) {
                continue; // "?", "&&" and a trailing "&" are harmless
            }
            int eq = segment.indexOf('=');
            String shownKey = decodeQuietly(eq < 0 ? segment : segment.substring(0, eq));
            if (secretKey != null && !isKnownKey(shownKey)) {
                // most likely the rest of a password: never show it as a key
                if (strict) {
                    throw new PgClusterConfigException(null, secretKey, "The value of '" + secretKey + "' in the URL '"
                            + mask(url) + "' is followed by a parameter pgcluster does not know: if the value "
                            + "contains '&', percent-encode it as %26.");
                }
                continue;
            }
            if (looksSecret(shownKey) && !isKnownKey(shownKey)) {
                if (strict) {
                    throw structural("Parameter " + (i + 1) + " of the URL '" + mask(url) + "' looks like a password "
                            + "setting but is not one pgcluster knows (a misspelt key, or an '=' written as %3D): "
                            + "write password=<percent-encoded value>.");
                }
                continue;
            }
            String rawKey = eq < 0 ? segment : segment.substring(0, eq);
            String key = decode(url, null, rawKey, strict);
            if (key == null) {
                continue;
            }
            String value = eq < 0 ? "" : decode(url, key, segment.substring(eq + 1), strict);
            if (value == null) {
                continue;
            }
            if (key.isEmpty()) {
                if (strict) {
                    throw structural("Parameter " + (i + 1) + " of the URL '" + mask(url) + "' has no key before "
                            + "'=': write key=value.");
                }
                continue;
            }
            PgClusterProperty p = PgClusterProperty.forKey(key);
            if (p == PgClusterProperty.SOURCE || p == PgClusterProperty.SERVERS || p == PgClusterProperty.DATABASE) {
                if (strict) {
                    throw new PgClusterConfigException(p, key, "Parameter '" + key + "' cannot be set in the query "
                            + "of the URL '" + mask(url) + "': the " + p.key() + " is part of the URL itself, as in "
                            + form(null) + ".");
                }
                continue;
            }
            if (params.containsKey(key)) {
                if (strict) {
                    throw new PgClusterConfigException(null, key, "Parameter '" + key + "' appears twice in the URL '"
                            + mask(url) + "': give each setting once.");
                }
                continue;
            }
            if (!isSecretKey(key) && holdsPassword(segment.substring(eq + 1))) {
                if (strict) {
                    throw new PgClusterConfigException(null, key, "The value of '" + key + "' in the URL '" + mask(url)
                            + "' holds a password setting: is an '&' missing before it?");
                }
                continue;
            }
            params.put(key, value);
            secretKey = isSecretKey(key) ? key : null;
        }
    }

    /** Percent-decodes as pgjdbc does; {@code null} when malformed in lenient mode. */
    private static String decode(String url, String key, String raw, boolean strict) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            if (!strict) {
                return null;
            }
            String what = key == null ? "a parameter key ('" + maskValue(raw) + "')"
                    : "the value of '" + key + "' ('" + (isSecretKey(key) ? MASK : maskValue(raw)) + "')";
            throw new PgClusterConfigException(null, key, "Malformed percent-encoding in " + what + " of the URL '"
                    + mask(url) + "': write a '%' as %25 and other special characters as %XX (UTF-8).");
        }
    }

    private static String decodeQuietly(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }

    /** Every String entry of {@code info}, including its defaults; other values as text. */
    private static Map<String, String> properties(Properties info, boolean strict) {
        Map<String, String> out = new LinkedHashMap<>();
        if (info == null) {
            return out;
        }
        for (String key : info.stringPropertyNames()) {
            out.put(key, info.getProperty(key));
        }
        for (Map.Entry<Object, Object> e : info.entrySet()) {
            if (e.getKey() instanceof String && !out.containsKey(e.getKey())) {
                out.put((String) e.getKey(), String.valueOf(e.getValue()));
            }
        }
        if (out.containsKey("")) {
            if (strict) {
                throw structural("A connection property has an empty key: give each property a name.");
            }
            out.remove("");
        }
        return out;
    }

    private static PgClusterConfigException structural(String message) {
        return new PgClusterConfigException(null, null, message);
    }

    private static void put(Map<String, String> out, String key, String value) {
        if (value != null) {
            out.put(key, value);
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
