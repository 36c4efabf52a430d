package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.PgClusterDriver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomized tests of the configuration entry points (issue 10, "Fuzzing"): the URL parser with random mutations of
 * valid URLs, every catalog property with random text, and the builder with random settings. Every input ends in a
 * value or a clean {@link PgClusterConfigException} (and, through the driver, an SQLException with SQLState 08001
 * or 22023) that names its key; a password never appears in a message, {@code mask()}, {@code describe()},
 * {@code getPropertyInfo} or a configuration's {@code toString()}; huge inputs end in bounded time.
 *
 * <p>Seeded: a failure prints the seed and the input, and the same seed replays it.
 */
class ConfigFuzzTest {
    /** The password: mutations never touch it, nor what makes it a password ({@code password=}, {@code u:...@}). */
    private static final String MARK = "Zq7Secr3tMark";
    private static final String ALPHABET = "/:@?&=%,;[] \t\n+#-._~'\"\\aZ09%2F%3D%26%40";
    private static final String[] TOKENS = {"/", ":", "@", "?", "&", "=", "%", ",", ";", "[", "]", " ", "\t", "//",
        "://", "%3D", "%26", "%40", "%zz", "+", "password=", "&ssl=", "?scope=", "&user=", "@h:1", "[::1]:5432",
        ":+2379", ":99999", "\u0661", "PT1S", "16777216TB", "\u00e9"};
    private static final String[] BASES = {
        "jdbc:pgcluster:etcd://10.0.0.1:2379,10.0.0.2:2379/orders?scope=orders&namespace=/pg&password=" + MARK
                + "&failoverTimeout=20s",
        "jdbc:pgcluster:etcd://app:" + MARK + "@h1:2379,h2:2379/db?scope=s",
        "jdbc:pgcluster:zookeeper://z1:2181/db?scope=s&dcsUser=u&dcsPassword=" + MARK + "&dcsTls=true",
        "jdbc:pgcluster:patroni://p1:8008,p2:8008/db?user=app&password=" + MARK + "&maxReplicaLag=16MB",
        "jdbc:pgcluster:hosts://[::1]:5432,db2/app?password=" + MARK + "&sslmode=require&ApplicationName=x",
        "jdbc:pgcluster:endpoints://w:5000/db?read=r:5001&sslpassword=" + MARK + "&writePoolSize=5",
        "jdbc:pgcluster:hosts://u:" + MARK + "@db1/d",
    };

    /** A mutation: the text and the ranges of it that hold the password with its context, which stay intact. */
    private static String mutate(Random r, String url) {
        String protectedPart = protectedPart(url);
        int p = url.indexOf(protectedPart);
        StringBuilder before = new StringBuilder(url.substring(0, p));
        StringBuilder after = new StringBuilder(url.substring(p + protectedPart.length()));
        int n = 1 + r.nextInt(6);
        for (int i = 0; i < n; i++) {
            StringBuilder part = r.nextBoolean() ? before : after;
            int at = part.length() == 0 ? 0 : r.nextInt(part.length() + 1);
            switch (r.nextInt(4)) {
                case 0: // insert a character
                    part.insert(at, ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                    break;
                case 1: // insert a token
                    part.insert(at, TOKENS[r.nextInt(TOKENS.length)]);
                    break;
                case 2: // delete
                    if (at < part.length()) {
                        part.delete(at, Math.min(part.length(), at + 1 + r.nextInt(3)));
                    }
                    break;
                default: // replace
                    if (at < part.length()) {
                        part.setCharAt(at, ALPHABET.charAt(r.nextInt(ALPHABET.length())));
                    }
            }
        }
        return before + protectedPart + after;
    }

    /** The part of a base URL that makes {@link #MARK} a password: {@code ...password=MARK} or {@code user:MARK@}. */
    private static String protectedPart(String url) {
        int m = url.indexOf(MARK);
        if (url.charAt(m - 1) == ':') {
            int start = url.lastIndexOf('/', m) + 1;
            return url.substring(start, m + MARK.length() + 1);
        }
        int start = Math.max(url.lastIndexOf('&', m), url.lastIndexOf('?', m)) + 1;
        return url.substring(start, m + MARK.length());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void mutatedUrlsEndInAValueOrACleanErrorAndNeverShowThePassword() {
        long seed = Long.getLong("fuzz.seed", 20261202L);
        Random r = new Random(seed);
        PgClusterDriver driver = new PgClusterDriver();
        for (int i = 0; i < 20_000; i++) {
            String url = mutate(r, BASES[r.nextInt(BASES.length)]);
            Properties info = r.nextInt(4) == 0 ? props("password", MARK) : null;
            String what = "seed " + seed + " iteration " + i + ": " + url;
            checkUrl(driver, url, info, what);
        }
    }

    private static void checkUrl(PgClusterDriver driver, String url, Properties info, String what) {
        try {
            PgClusterConfig config = PgClusterUrl.parse(url, info).build();
            assertThat(config.toString()).as(what).doesNotContain(MARK);
            assertThat(config.describe().toString()).as(what).doesNotContain(MARK);
        } catch (PgClusterConfigException e) {
            assertClean(e, what);
            try {
                assertThat(driver.connect(url, info)).as("not a pgcluster URL: " + what).isNull();
                assertThat(PgClusterUrl.accepts(url)).as(what).isFalse();
            } catch (SQLException sql) {
                assertThat(sql.getSQLState()).as(what).isIn("08001", "22023");
                assertThat(sql.getMessage()).as(what).doesNotContain(MARK).contains(e.getMessage());
            }
        } catch (RuntimeException e) {
            throw new AssertionError("not a clean configuration error: " + what, e);
        }
        assertThat(PgClusterUrl.mask(url)).as(what).doesNotContain(MARK);
        assertThat(PgClusterUrl.describe(url, info).toString()).as(what).doesNotContain(MARK);
        for (DriverPropertyInfo p : driver.getPropertyInfo(url, info)) {
            assertThat(String.valueOf(p.value)).as(what + " " + p.name).doesNotContain(MARK);
        }
    }

    /** A clean error: no password, and the key it names (when it names one) is in its message. */
    private static void assertClean(PgClusterConfigException e, String what) {
        assertThat(e.getMessage()).as(what).isNotBlank().doesNotContain(MARK);
        assertThat(e.toString()).as(what).doesNotContain(MARK);
        assertThat(e.getMessage().length()).as(what).isLessThanOrEqualTo(PgClusterConfigException.MAX_MESSAGE + 64);
        if (e.key() != null) {
            String key = PgClusterConfigException.quote(e.key());
            assertThat(e.getMessage()).as(what).contains(key.length() > 40 ? key.substring(0, 40) : key);
        }
        if (e.property() != null) {
            assertThat(e.key()).as(what).isNotNull();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyPropertyParsesRandomTextToAValueOrAnErrorNamingItsKey() {
        long seed = Long.getLong("fuzz.seed", 20261202L);
        Random r = new Random(seed);
        for (PgClusterProperty p : PgClusterProperty.values()) {
            for (int i = 0; i < 2_000; i++) {
                String text = randomValue(r, p);
                String what = "seed " + seed + " " + p.key() + "=" + text;
                try {
                    Object value = p.parse(text);
                    assertThat(value).as(what).isNotNull();
                } catch (PgClusterConfigException e) {
                    assertThat(e.property()).as(what).isSameAs(p);
                    assertThat(e.key()).as(what).isEqualTo(p.key());
                    assertThat(e.getMessage()).as(what).contains("'" + p.key() + "'");
                    assertClean(e, what);
                } catch (RuntimeException e) {
                    throw new AssertionError("not a clean configuration error: " + what, e);
                }
            }
        }
    }

    /** Numbers near every limit, units, signs, odd digits and spaces, URL syntax, and userinfo with the password. */
    private static String randomValue(Random r, PgClusterProperty p) {
        return randomValue(r, p, true);
    }

    /** As {@link #randomValue(Random, PgClusterProperty)}; {@code withPassword} false leaves the password out. */
    private static String randomValue(Random r, PgClusterProperty p, boolean withPassword) {
        StringBuilder b = new StringBuilder();
        String[] units = {"", "ms", "s", "m", "min", "h", "d", "B", "kB", "MB", "GB", "TB", "x", " ", "S", "PT", "P"};
        int parts = 1 + r.nextInt(3);
        for (int i = 0; i < parts; i++) {
            switch (r.nextInt(7)) {
                case 0:
                    b.append(r.nextBoolean() ? "-" : r.nextBoolean() ? "+" : "").append(Math.abs(r.nextLong())
                            >>> r.nextInt(64));
                    break;
                case 1:
                    b.append("9".repeat(1 + r.nextInt(30)));
                    break;
                case 2:
                    b.append(units[r.nextInt(units.length)]);
                    break;
                case 3:
                    b.append(TOKENS[r.nextInt(TOKENS.length)]);
                    break;
                case 4:
                    if (!withPassword) {
                        break;
                    }
                    b.append("u:").append(MARK).append('@').append(r.nextBoolean() ? "h1:2379, h2" : "");
                    break;
                case 5:
                    b.append(p.choices().isEmpty() ? "true" : p.choices().get(r.nextInt(p.choices().size())));
                    break;
                default:
                    b.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
            }
        }
        if (p.isSecret() && r.nextBoolean()) {
            b.append(MARK);
        }
        return b.toString();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theBuilderTakesRandomSettingsToAConfigurationOrACleanError() {
        long seed = Long.getLong("fuzz.seed", 20261202L);
        Random r = new Random(seed);
        PgClusterProperty[] all = PgClusterProperty.values();
        List<String> keys = new ArrayList<>(PgClusterProperty.keys());
        keys.addAll(List.of("sslmode", "ApplicationName", "PGHOST", "targetServerType", "passwrd", "Password",
                "dcspassword", "sslpassword", ""));
        for (int i = 0; i < 5_000; i++) {
            PgClusterConfig.Builder b = PgClusterConfig.builder();
            StringBuilder what = new StringBuilder("seed " + seed + " iteration " + i + ":");
            try {
                b.set("source", PgClusterProperty.SOURCE.choices().get(r.nextInt(5))).set("servers", "h1:1")
                        .set("database", "d").set("scope", "s").set("read", "r:1").set("password", MARK);
                int n = r.nextInt(6);
                for (int j = 0; j < n; j++) {
                    String key = r.nextInt(5) == 0 ? keys.get(r.nextInt(keys.size()))
                            : all[r.nextInt(all.length)].key();
                    PgClusterProperty p = PgClusterProperty.forKey(key);
                    String value = r.nextBoolean() && p != null && p.defaultValue() != null ? p.defaultValue()
                            : randomValue(r, p == null ? PgClusterProperty.NAME : p, p != null && p.isSecret());
                    what.append(' ').append(key).append('=').append(value);
                    b.set(key, value);
                }
                PgClusterConfig c = b.build();
                assertThat(c.toString()).as(what.toString()).doesNotContain(MARK);
            } catch (PgClusterConfigException e) {
                assertClean(e, what.toString());
            } catch (RuntimeException e) {
                throw new AssertionError("not a clean configuration error: " + what, e);
            }
        }
    }

    /**
     * Linear work takes a few seconds of CPU for all of these; anything quadratic in the input would take hours, so
     * the generous timeout (the machine may be busy) still tells them apart.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aMegabyteOfInputParsesOrFailsQuickly() {
        PgClusterDriver driver = new PgClusterDriver();
        for (String filler : new String[] {"@", "a", "9", "?", "&", "%", "/", ":", "=", "password=", "@h:1,", "[",
                "u:" + MARK + "@"}) {
            String big = filler.repeat((1 << 20) / filler.length());
            String[] urls = {
                "jdbc:pgcluster:etcd://app:" + MARK + "@" + big + "/db?scope=s",
                "jdbc:pgcluster:etcd://h1/" + big + "?scope=s&password=" + MARK,
                "jdbc:pgcluster:etcd://h1/db?scope=s&password=" + MARK + "&failoverTimeout=" + big,
                "jdbc:pgcluster:etcd://h1/db?scope=s&" + big + "=1&password=" + MARK,
                "jdbc:pgcluster:" + big,
            };
            for (String url : urls) {
                checkUrl(driver, url, props("password", MARK), "1 MB of '" + filler + "'");
            }
            for (PgClusterProperty p : PgClusterProperty.values()) {
                try {
                    p.parse(big);
                } catch (PgClusterConfigException e) {
                    assertClean(e, p.key() + " = 1 MB of '" + filler + "'");
                }
            }
        }
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }
}
