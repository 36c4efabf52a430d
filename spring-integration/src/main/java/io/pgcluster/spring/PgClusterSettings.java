package io.pgcluster.spring;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import io.pgcluster.jdbc.config.PgClusterProperty;
import io.pgcluster.jdbc.config.PgClusterUrl;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.postgresql.PGProperty;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Reads a {@link PgClusterConfig} from Spring's environment: {@code spring.datasource.url} (a {@code jdbc:pgcluster:}
 * URL), {@code spring.datasource.username} and {@code password}, and every {@code pgcluster.*} property, which wins.
 *
 * <p>{@code pgcluster.*} keys are the driver's property catalog in any of Spring's relaxed forms
 * ({@code pgcluster.failover-timeout}, {@code pgcluster.failoverTimeout}, {@code PGCLUSTER_FAILOVERTIMEOUT}), or a
 * pgjdbc connection property ({@code pgcluster.sslmode}); nothing is restated here, so defaults, checks and
 * messages are the catalog's own.
 *
 * <p>Thread-safety: stateless.
 */
final class PgClusterSettings {
    static final String PREFIX = "pgcluster";
    static final String URL_PROPERTY = "spring.datasource.url";

    private PgClusterSettings() {
    }

    /** Whether the environment asks for pgcluster: a pgcluster URL, or any {@code pgcluster.*} property. */
    static boolean requested(Environment env) {
        return PgClusterUrl.accepts(env.getProperty(URL_PROPERTY)) || !pgclusterProperties(env).isEmpty();
    }

    /**
     * The configuration the environment describes.
     *
     * @throws PgClusterConfigException naming the property at fault (Spring's name for it when it came from
     *     {@code pgcluster.*})
     */
    static PgClusterConfig config(Environment env) {
        String url = env.getProperty(URL_PROPERTY);
        PgClusterConfig.Builder b;
        if (PgClusterUrl.accepts(url)) {
            Properties info = new Properties();
            putIfPresent(info, "user", env.getProperty("spring.datasource.username"));
            putIfPresent(info, "password", env.getProperty("spring.datasource.password"));
            b = PgClusterUrl.parse(url, info);
        } else {
            b = PgClusterConfig.builder();
            String user = env.getProperty("spring.datasource.username");
            String password = env.getProperty("spring.datasource.password");
            if (user != null) {
                b.user(user);
            }
            if (password != null) {
                b.password(password);
            }
        }
        for (Map.Entry<String, String> e : pgclusterProperties(env).entrySet()) {
            b.set(canonicalKey(e.getKey()), e.getValue());
        }
        return b.build();
    }

    /** {@code pgcluster.*} properties by their key after the prefix, as bound by Spring (nested keys joined). */
    static Map<String, String> pgclusterProperties(Environment env) {
        Map<String, String> out = new TreeMap<>();
        Binder.get(env).bind(PREFIX, Bindable.mapOf(String.class, String.class)).ifBound(out::putAll);
        return out;
    }

    /**
     * The catalog key or pgjdbc property a relaxed Spring key stands for ({@code failover-timeout},
     * {@code failovertimeout} and {@code failoverTimeout} all mean {@code failoverTimeout}); unknown keys are returned
     * as they are, so that the builder reports them with the nearest known key.
     */
    static String canonicalKey(String key) {
        String wanted = simplify(key);
        for (PgClusterProperty p : PgClusterProperty.values()) {
            if (simplify(p.key()).equals(wanted)) {
                return p.key();
            }
        }
        for (PGProperty p : PGProperty.values()) {
            if (simplify(p.getName()).equals(wanted)) {
                return p.getName();
            }
        }
        return key;
    }

    /** The relaxed Spring name of a catalog key: {@code failoverTimeout} -> {@code pgcluster.failover-timeout}. */
    static String springName(PgClusterProperty p) {
        StringBuilder s = new StringBuilder(PREFIX).append('.');
        for (char c : p.key().toCharArray()) {
            if (Character.isUpperCase(c)) {
                s.append('-').append(Character.toLowerCase(c));
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    private static String simplify(String key) {
        return key.replace("-", "").replace("_", "").replace(".", "").toLowerCase(Locale.ROOT);
    }

    private static void putIfPresent(Properties p, String key, String value) {
        if (value != null) {
            p.setProperty(key, value);
        }
    }
}
