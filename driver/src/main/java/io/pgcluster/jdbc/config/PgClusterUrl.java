package io.pgcluster.jdbc.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

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
    private static final List<String> SOURCES = PgClusterProperty.SOURCE.choices();
    /** Sources that will come later in the same URL shape. */
    private static final List<String> PLANNED_SOURCES = List.of("consul");

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
        String database = settings.get(PgClusterProperty.DATABASE.key());
        if (database == null || database.isEmpty()) {
            throw new PgClusterConfigException(PgClusterProperty.DATABASE, PgClusterProperty.DATABASE.key(),
                    "The URL '" + mask(url) + "' names no database: expected " + form(source)
                            + " (or set 'database' in the Properties).");
        }
        if (PgClusterConfig.Source.needsScope(source) && isBlank(settings.get(PgClusterProperty.SCOPE.key()))) {
            throw new PgClusterConfigException(PgClusterProperty.SCOPE, PgClusterProperty.SCOPE.key(),
                    "The URL '" + mask(url) + "' lacks 'scope': source " + source + " reads Patroni's keys under "
                            + "<namespace>/<scope>/, so add ?scope=<the Patroni cluster's scope>; expected "
                            + form(source) + ".");
        }
        if (source.equals("endpoints") && isBlank(settings.get(PgClusterProperty.READ.key()))) {
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
        out.replaceAll((k, v) -> isSecretKey(k) ? MASK : v);
        return Collections.unmodifiableMap(out);
    }

    /**
     * {@code url} with every password replaced by {@code ****}: the value of each parameter whose key contains
     * {@code password} (ignoring case: {@code password}, {@code dcsPassword}, {@code sslpassword}, ...) and the
     * password of a {@code user:password@} prefix of the host list. Returns {@code null} for {@code null}.
     */
    public static String mask(String url) {
        if (url == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(url.length());
        int slashes = url.indexOf("//");
        if (slashes >= 0) {
            // user information first: its password may hold '/', '?', '&' or '@', which would end the parts below
            int at = userInfoEnd(url, slashes + 2);
            if (at >= 0) {
                int colon = url.indexOf(':', slashes + 2);
                String user = colon >= 0 && colon < at ? url.substring(slashes + 2, colon + 1) : "";
                out.append(url, 0, slashes + 2).append(user).append(MASK);
                url = url.substring(at);
                slashes = -1;
            }
        }
        int query = url.indexOf('?');
        out.append(query < 0 ? url : url.substring(0, query));
        if (query >= 0) {
            out.append('?');
            String[] segments = url.substring(query + 1).split("&", -1);
            boolean afterSecret = false;
            for (int i = 0; i < segments.length; i++) {
                if (i > 0) {
                    out.append('&');
                }
                String segment = segments[i];
                int eq = segment.indexOf('=');
                String key = decodeQuietly(eq < 0 ? segment : segment.substring(0, eq));
                if (!isKnownKey(key) && looksSecret(key) && (eq < 0 || key.indexOf('=') >= 0)) {
                    out.append(MASK); // a password setting with an encoded '=': its value is in the key
                    afterSecret = true;
                } else if (eq >= 0 && (eq == 0 || isSecretKey(key)
                        || !afterSecret && !isKnownKey(key) && looksSecret(key))) {
                    out.append(segment, 0, eq + 1).append(MASK); // a value without key may be anything
                    afterSecret = true;
                } else if (afterSecret && !segment.isEmpty() && !isKnownKey(key)) {
                    out.append(MASK); // most likely the rest of a password with an unencoded '&'
                } else {
                    out.append(segment);
                    afterSecret = false;
                }
            }
        }
        return out.toString();
    }

    /** The URL form of a source, for messages. */
    static String form(String source) {
        switch (source == null ? "" : source) {
            case "etcd":
                return "jdbc:pgcluster:etcd://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&key=value...]";
            case "zookeeper":
                return "jdbc:pgcluster:zookeeper://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&key=value...]";
            case "patroni":
                return "jdbc:pgcluster:patroni://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...] with the Patroni "
                        + "REST API addresses";
            case "hosts":
                return "jdbc:pgcluster:hosts://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...]";
            case "endpoints":
                return "jdbc:pgcluster:endpoints://WRITE_HOST:PORT/DATABASE?read=READ_HOST:PORT[&key=value...]";
            default:
                return "jdbc:pgcluster:<source>://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...] where <source> is "
                        + String.join(", ", SOURCES);
        }
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
        return k.contains("passw") || k.contains("pwd") || k.contains("secret")
                || Suggestions.distance(k, "password") <= 2;
    }

    /**
     * The index of the '@' that ends user information ({@code user:password@}) in {@code url} from {@code from}
     * (just after '//'), or -1. The password may hold any character, so this is the last '@' that a plausible host
     * list follows (up to '/', '?' or the end); a '@' in a parameter value can only make it mask too much.
     */
    private static int userInfoEnd(String url, int from) {
        for (int at = url.lastIndexOf('@'); at >= from; at = url.lastIndexOf('@', at - 1)) {
            int end = at + 1;
            while (end < url.length() && url.charAt(end) != '/' && url.charAt(end) != '?') {
                char c = url.charAt(end);
                if (!(Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == ','
                        || c == '[' || c == ']' || c == '%')) {
                    break;
                }
                end++;
            }
            if (end > at + 1 && (end == url.length() || url.charAt(end) == '/' || url.charAt(end) == '?')) {
                return at;
            }
        }
        return -1;
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
            int slashes = rest.indexOf("//");
            int query = rest.indexOf('?');
            afterScheme = slashes >= 0 ? rest.substring(slashes + 2) : query >= 0 ? rest.substring(query) : "";
        }

        int userInfo = userInfoEnd(afterScheme, 0);
        if (userInfo >= 0) {
            if (strict) {
                String shown = mask(PREFIX + source + "://" + afterScheme);
                String userinfo = shown.substring(shown.indexOf("//") + 2, shown.indexOf(MASK) + MASK.length() + 1);
                throw structural("The URL '" + shown + "' has user information ('" + userinfo + "') before "
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
                        "The URL '" + mask(url) + "' has no HOST:PORT after '//': expected " + form(source) + ".");
            }
        } else {
            parts.servers = authority;
        }

        if (path != null && !path.isEmpty()) {
            if (path.indexOf('/') >= 0) {
                if (strict) {
                    throw new PgClusterConfigException(PgClusterProperty.DATABASE, PgClusterProperty.DATABASE.key(),
                            "The URL '" + mask(url) + "' has the path '/" + path + "', but the path names only the "
                                    + "database: percent-encode a '/' in the database name as %2F, and give "
                                    + "namespace and scope as parameters (?scope=...&namespace=...); expected "
                                    + form(source) + ".");
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
        if (PLANNED_SOURCES.contains(source)) {
            throw new PgClusterConfigException(PgClusterProperty.SOURCE, PgClusterProperty.SOURCE.key(),
                    "Topology source '" + token + "' in URL '" + mask(url) + "' is not supported yet: the sources "
                            + "are " + String.join(", ", SOURCES) + ".");
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
            String what = key == null ? "a parameter key ('" + raw + "')"
                    : "the value of '" + key + "' ('" + (isSecretKey(key) ? MASK : raw) + "')";
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
