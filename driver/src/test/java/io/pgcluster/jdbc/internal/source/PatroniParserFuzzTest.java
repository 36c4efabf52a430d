package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgcluster.jdbc.internal.address.ServerAddress;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomized inputs for {@link PatroniParser}: DCS keys and {@code GET /cluster} bodies built from Patroni's real
 * output, then mutated (bytes flipped, cut, spliced, nested, huge values, hostile hosts and ports), with fixed
 * seeds so that a failure repeats. Every input must end in a snapshot whose members all have well-formed addresses
 * (a bad record is skipped), {@code fromRest} may refuse a body only with {@link IllegalArgumentException}, and no
 * password planted in the input may appear in a log line or an exception message.
 */
class PatroniParserFuzzTest {
    private static final String SECRET = "Sup3r-Secret-PW";
    private static final int ROUNDS = 3000;
    private static final String[] HOSTILE_HOSTS = {"evil.example/orders?sslmode=disable&x=", "a,b", "h:1", "[::1",
        "::1]", "h\nWARN forged", "h\u0000", "999.1.1.1", "127.1", "-h", "h..x", "", " ", "x".repeat(400),
        "fd00::1%eth0/x", "user@h", "h?x", "h#x", "h&PGPORT=1", "\u0661\u0662", "10.0.0.1", "db.example.com", "::1",
        "[fd00::2]"};
    private static final String[] TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "null",
        "true", "-", "1e999999", "99999999999999999999999", "\u0000", "\u2028", "\uD83D\uDE00", "\"conn_url\":",
        "\"host\":", "\"port\":", "\"role\":\"master\"", "postgres://", "@", "%", "/", "?", "&"};

    @Test
    void everyDcsInputEndsInASnapshotWithWellFormedMembers() throws Exception {
        String log = CapturedLog.during(() -> assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int seed = 0; seed < ROUNDS; seed++) {
                Random r = random(seed);
                PatroniParser parser = new PatroniParser("fuzz");
                Map<String, String> keys = dcsKeys(r);
                Topology t;
                try {
                    t = parser.fromDcs(keys);
                } catch (RuntimeException | StackOverflowError e) {
                    throw new AssertionError("seed " + seed + ": fromDcs threw " + e, e);
                }
                check(seed, t);
            }
        }));
        assertThat(log).as("a planted password in a log line").doesNotContain(SECRET);
    }

    @Test
    void everyRestBodyEndsInASnapshotOrACleanRefusal() throws Exception {
        List<String> messages = new ArrayList<>();
        String log = CapturedLog.during(() -> assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int seed = 0; seed < ROUNDS; seed++) {
                Random r = random(seed);
                PatroniParser parser = new PatroniParser("fuzz");
                String body = restBody(r);
                try {
                    check(seed, parser.fromRest(body));
                } catch (IllegalArgumentException e) {
                    messages.add(e.getMessage());
                } catch (RuntimeException | StackOverflowError e) {
                    throw new AssertionError("seed " + seed + ": fromRest threw " + e, e);
                }
            }
        }));
        assertThat(messages).as("some bodies are refused").isNotEmpty();
        assertThat(String.join("\n", messages) + log).doesNotContain(SECRET);
    }

    @Test
    void hugeInputsAreBounded() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            PatroniParser parser = new PatroniParser("fuzz");
            Map<String, String> keys = new LinkedHashMap<>();
            for (int i = 0; i < 200_000; i++) {
                keys.put("members/m" + i, "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\"}");
            }
            keys.put("members/big", "{\"conn_url\":\"" + "a".repeat(8 << 20) + "\"}");
            keys.put("sync", "{\"sync_standby\":\"" + ",".repeat(1 << 20) + "\"}");
            keys.put("members/deep", "[".repeat(100_000));
            assertThat(parser.fromDcs(keys).members()).hasSizeLessThanOrEqualTo(PatroniParser.MAX_MEMBERS);
            String deep = "{\"members\":" + "[".repeat(200_000);
            try {
                parser.fromRest(deep);
                fail("a body nested 200000 deep is not a /cluster answer");
            } catch (IllegalArgumentException expected) {
                assertThat(expected).hasMessageContaining("nested too deeply");
            }
        });
    }

    /** java.util.Random's first values for consecutive seeds are alike: spread the seeds first. */
    private static Random random(int seed) {
        return new Random(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
    }

    private static void check(int seed, Topology t) {
        assertThat(t).as("seed %d", seed).isNotNull();
        assertThat(t.members().size()).as("seed %d", seed).isLessThanOrEqualTo(PatroniParser.MAX_MEMBERS);
        for (Member m : t.members()) {
            assertThat(ServerAddress.checkHost(m.host())).as("seed %d host %s", seed, m.host()).isNull();
            assertThat(m.port()).as("seed %d", seed).isBetween(1, 65535);
            assertThat(m.host()).as("seed %d", seed).doesNotContain(SECRET);
        }
    }

    private static Map<String, String> dcsKeys(Random r) {
        Map<String, String> keys = new LinkedHashMap<>(ReferenceData.dcsKeys(
                r.nextBoolean() ? "dcs-keys-etcd3.txt" : "dcs-keys-etcd3-syncmode.txt", "/service/demo/"));
        int n = 1 + r.nextInt(6);
        for (int i = 0; i < n; i++) {
            String key = pick(r, new ArrayList<>(keys.keySet()));
            switch (r.nextInt(6)) {
                case 0 -> keys.put(key, mutate(r, keys.get(key))); // no planted secret in these: cut anywhere
                case 1 -> keys.put("members/x" + r.nextInt(1000), memberJson(r));
                case 2 -> keys.put(key, memberJson(r));
                case 3 -> keys.remove(key);
                case 4 -> keys.put(pick(r, List.of("leader", "sync", "failover", "config", "status", "optime/leader")),
                        r.nextBoolean() ? mutate(r, "{\"leader\":\"pg1\",\"sync_standby\":\"pg2\"}")
                                : randomText(r, 40));
                default -> keys.put("members/" + randomText(r, 12), r.nextBoolean() ? memberJson(r)
                        : randomText(r, 60));
            }
        }
        return keys;
    }

    private static String restBody(Random r) {
        if (r.nextInt(4) == 0) {
            return mutate(r, ReferenceData.restCluster());
        }
        StringBuilder b = new StringBuilder("{\"members\":[");
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(r.nextInt(8) == 0 ? pick(r, List.of("1", "null", "[]", "\"s\""))
                    : memberJson(r));
        }
        b.append("]");
        if (r.nextBoolean()) {
            b.append(",\"scheduled_switchover\":").append(pick(r, List.of("{\"from\":1}", "null", "[]", "{}")));
        }
        return b.append(r.nextBoolean() ? ",\"pause\":true}" : "}").toString();
    }

    /** A member record with random fields; passwords appear only in whole, well-formed values. */
    private static String memberJson(Random r) {
        List<String> fields = new ArrayList<>();
        fields.add("\"name\":\"" + pick(r, List.of("pg1", "pg2", "n", "")) + "\"");
        switch (r.nextInt(4)) {
            case 0 -> fields.add("\"conn_url\":" + quote("postgres://" + (r.nextBoolean() ? "app:" + SECRET + "@" : "")
                    + hostForUrl(r) + (r.nextBoolean() ? ":" + port(r) : "") + "/postgres"));
            case 1 -> fields.add("\"host\":" + quote(pick(r, List.of(HOSTILE_HOSTS))) + ",\"port\":" + portJson(r));
            case 2 -> fields.add("\"conn_url\":" + pick(r, List.of("1", "null", "[]", "\"\"", "\"::\"",
                    "\"postgres://:5432/x\"", "\"postgres://h:-1/x\"", "\"postgres://h:99999999999/x\"")));
            default -> { }
        }
        if (r.nextBoolean()) {
            fields.add("\"password\":" + quote(SECRET + " with spaces"));
        }
        if (r.nextBoolean()) {
            fields.add("\"role\":" + quote(pick(r, List.of("master", "primary", "replica", "sync_standby",
                    "standby_leader", "leader", "x"))));
        }
        if (r.nextBoolean()) {
            fields.add("\"xlog_location\":" + pick(r, List.of("1", "-5", "1e30", "\"0/0\"", "null", "9223372036854775807")));
        }
        if (r.nextBoolean()) {
            fields.add("\"replay_lsn\":" + pick(r, List.of("\"16/B374D848\"", "\"/\"", "\"G/1\"", "\"FFFFFFFFFFFFFFFF/1\"")));
        }
        if (r.nextBoolean()) {
            fields.add("\"tags\":" + pick(r, List.of("{\"nofailover\":true}", "[]", "{\"a\":{\"b\":[1]}}", "1")));
        }
        if (r.nextBoolean()) {
            fields.add("\"lag\":" + pick(r, List.of("1", "\"unknown\"", "-1", "1.5", "null")));
        }
        java.util.Collections.shuffle(fields, r);
        return "{" + String.join(",", fields) + "}";
    }

    private static String hostForUrl(Random r) {
        return pick(r, List.of("10.0.0.1", "db.example.com", "[fd00::1]", "h_1", "evil.example", "x%41y", "a..b"));
    }

    private static String port(Random r) {
        return pick(r, List.of("5432", "0", "65535", "65536", "-1", "x", "99999999999999"));
    }

    private static String portJson(Random r) {
        return pick(r, List.of("5432", "0", "65536", "-1", "\"5432\"", "5432.5", "null", "1e3", "{}",
                "9223372036854775807"));
    }

    /** Flips, cuts, splices and repeats pieces of {@code s}. */
    private static String mutate(Random r, String s) {
        StringBuilder b = new StringBuilder(s);
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
            int at = b.length() == 0 ? 0 : r.nextInt(b.length());
            switch (r.nextInt(5)) {
                case 0 -> b.insert(at, pick(r, List.of(TOKENS)));
                case 1 -> b.setLength(at);
                case 2 -> {
                    if (b.length() > 0) {
                        b.setCharAt(at, (char) r.nextInt(0x3000));
                    }
                }
                case 3 -> b.insert(at, "[".repeat(r.nextInt(100)));
                default -> b.insert(at, b.substring(at, Math.min(b.length(), at + r.nextInt(50))));
            }
        }
        return b.toString();
    }

    private static String randomText(Random r, int max) {
        int len = r.nextInt(max + 1);
        StringBuilder b = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            b.append(r.nextInt(3) == 0 ? pick(r, List.of(TOKENS)) : String.valueOf((char) (32 + r.nextInt(95))));
        }
        return b.toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static <T> T pick(Random r, List<T> from) {
        return from.get(r.nextInt(from.size()));
    }
}
