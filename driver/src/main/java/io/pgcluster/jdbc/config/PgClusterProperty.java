package io.pgcluster.jdbc.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The catalog of every pgcluster setting: key, type, default, bounds, allowed values and description.
 *
 * <p>It is the single source for the URL parser, {@link PgClusterConfig.Builder}, the driver's
 * {@code getPropertyInfo}, {@code docs/configuration.md} and Spring Boot's configuration metadata, so a
 * setting is described once and every entry point validates it the same way. Keys that are not in this
 * catalog but are pgjdbc connection properties ({@code sslmode}, {@code ApplicationName}, ...) are passed to
 * every physical connection unchanged.
 *
 * <p>Values are written as text: durations as {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601
 * ({@code PT30S}), a bare number meaning milliseconds (as in HikariCP); sizes as {@code 16MB}, {@code 512kB} or
 * a bare number of bytes (as in Patroni). {@link #parse(String)} turns text into the typed value and rejects
 * anything else with a {@link PgClusterConfigException} that names the key, the value and what would be right.
 *
 * <p>Thread-safety: immutable.
 */
public enum PgClusterProperty {
    SOURCE("source", Type.CHOICE, null, Group.TOPOLOGY,
            "Where the cluster's topology comes from: etcd (Patroni's etcd v3 keys, watched), zookeeper (Patroni's "
                    + "znodes in ZooKeeper 3.6+, watched; needs org.apache.zookeeper:zookeeper on the class path), "
                    + "consul (Patroni's keys in Consul's KV store, followed with blocking queries through the "
                    + "agents' HTTP API), "
                    + "patroni (Patroni's "
                    + "REST API GET /cluster, polled), hosts (PostgreSQL servers, roles probed with "
                    + "pg_is_in_recovery()), endpoints (one write and one read address, e.g. HAProxy or Envoy ports).",
            choices(PgClusterConfig.Source.values(), PgClusterConfig.Source::key)),
    SERVERS("servers", Type.ADDRESSES, null, Group.TOPOLOGY,
            "Comma-separated HOST:PORT list: the etcd endpoints (source etcd), ZooKeeper servers (zookeeper), "
                    + "Consul agents' HTTP API addresses (consul), "
                    + "Patroni REST API addresses (patroni), "
                    + "PostgreSQL servers (hosts), or the write address (endpoints)."),
    READ("read", Type.ADDRESSES, null, Group.TOPOLOGY,
            "Source endpoints only: the read address HOST:PORT (e.g. HAProxy's or Envoy's read port)."),
    DATABASE("database", Type.STRING, null, Group.CONNECTION, "Name of the database to connect to."),
    USER("user", Type.STRING, null, Group.CONNECTION, "Database user for every physical connection."),
    PASSWORD("password", Type.SECRET, null, Group.CONNECTION,
            "Password of the database user. Never logged or shown."),
    SCOPE("scope", Type.STRING, null, Group.TOPOLOGY,
            "Patroni cluster name (Patroni's 'scope'); required for sources etcd, zookeeper and consul. Keys are "
                    + "read under <namespace>/<scope>/."),
    NAMESPACE("namespace", Type.STRING, "/service", Group.TOPOLOGY,
            "Patroni's DCS namespace (Patroni's 'namespace'). In Consul, whose keys have no leading '/', /service "
                    + "reads service/<scope>/."),
    NAME("name", Type.STRING, null, Group.TOPOLOGY,
            "Name of this cluster in logs, thread names and metrics. Default: the scope, else the first server."),
    DCS_USER("dcsUser", Type.STRING, null, Group.TOPOLOGY,
            "User with which the topology source authenticates: an etcd user (etcd with auth enabled), a ZooKeeper "
                    + "digest user, or a Patroni REST API basic-auth user (restapi.authentication)."),
    DCS_PASSWORD("dcsPassword", Type.SECRET, null, Group.TOPOLOGY,
            "Password of dcsUser. Sent only over TLS (dcsTls=true) unless dcsPlaintextCredentials=true. Never "
                    + "logged or shown."),
    DCS_TOKEN("dcsToken", Type.SECRET, null, Group.TOPOLOGY,
            "Consul ACL token (source consul), sent as X-Consul-Token; it needs read access to the keys under "
                    + "<namespace>/<scope>/. Sent only over TLS (dcsTls=true) unless dcsPlaintextCredentials=true. "
                    + "Never logged or shown."),
    DCS_TLS("dcsTls", Type.BOOLEAN, "false", Group.TOPOLOGY,
            "Talk TLS to the topology source (etcd, ZooKeeper, Consul, Patroni REST API): the server's "
                    + "certificate is verified against dcsCaFile (else the JVM's trust store) and must name the host "
                    + "it is reached at."),
    DCS_CA_FILE("dcsCaFile", Type.STRING, null, Group.TOPOLOGY,
            "PEM file of the CA certificate(s) that sign the topology source's server certificates; needs "
                    + "dcsTls=true."),
    DCS_CERT_FILE("dcsCertFile", Type.STRING, null, Group.TOPOLOGY,
            "PEM file of a client certificate presented to the topology source (mutual TLS); needs dcsTls=true "
                    + "and dcsKeyFile."),
    DCS_KEY_FILE("dcsKeyFile", Type.STRING, null, Group.TOPOLOGY,
            "PEM file of the unencrypted PKCS#8 private key of dcsCertFile."),
    DCS_PLAINTEXT_CREDENTIALS("dcsPlaintextCredentials", Type.BOOLEAN, "false", Group.TOPOLOGY,
            "Allow dcsPassword (or dcsToken) to travel without TLS. Off by default: with dcsPassword set and "
                    + "dcsTls=false the "
                    + "configuration is refused, so that a password never goes over the network in clear by "
                    + "accident."),
    ALLOWED_HOSTS("allowedHosts", Type.STRING, null, Group.TOPOLOGY,
            "Comma-separated host names, IP addresses and CIDR blocks (10.0.0.0/8, fd00::/8) that member "
                    + "addresses read from the DCS or Patroni's REST API must match; a member outside them is left "
                    + "out with a WARN. Default: any well-formed address."),
    POOLER("pooler", Type.CHOICE, "none", Group.CONNECTION,
            "none: connect to each member's PostgreSQL address. node: connect through the connection pooler next to "
                    + "each member (PgBouncer on every database node, transaction pooling): at the member's "
                    + "proxy_url (Patroni's postgresql.proxy_address), else at its PostgreSQL port + "
                    + "poolerPortOffset when that is set; a member with neither is connected to directly, with one "
                    + "WARN. Also sets prepareThreshold=0 and preparedStatementCacheQueries=0 unless given "
                    + "(PgBouncer before 1.21 keeps no prepared statements) and checks the leader's role on every "
                    + "borrow of an idle connection. Not with source endpoints. See \"A pooler on every node\" in "
                    + "docs/configuration.md.",
            choices(PgClusterConfig.Pooler.values(), PgClusterConfig.Pooler::key)),
    POOLER_PORT_OFFSET("poolerPortOffset", Type.INT, "0", Group.CONNECTION,
            "With pooler=node: for a member whose Patroni publishes no proxy_url (or source hosts), its pooler "
                    + "listens on the same host at its PostgreSQL port + this (e.g. 1000: 5432 -> 6432). 0: only "
                    + "proxy_url is used.",
            Bounds.of(0, 65534)),
    DCS_TIMEOUT("dcsTimeout", Type.DURATION, "2s", Group.TOPOLOGY,
            "Timeout of one request to the DCS or to Patroni's REST API; after it the source counts as "
                    + "unreachable and the last topology is kept.",
            Bounds.duration(Duration.ofMillis(100), Duration.ofMinutes(5))),
    POLL_INTERVAL("pollInterval", Type.DURATION, "1s", Group.TOPOLOGY,
            "How often the patroni and hosts sources poll, and how often the etcd, zookeeper and consul sources check "
                    + "that the DCS is reachable (their changes arrive through a watch, not by polling).",
            Bounds.duration(Duration.ofMillis(50), Duration.ofMinutes(10))),
    LOAD_BALANCE("loadBalance", Type.CHOICE, "roundRobin", Group.ROUTING,
            "How reads are spread over eligible replicas.",
            choices(PgClusterConfig.LoadBalance.values(), PgClusterConfig.LoadBalance::key)),
    MAX_REPLICA_LAG("maxReplicaLag", Type.BYTES, "16MB", Group.ROUTING,
            "Replicas lagging more than this behind the leader (Patroni's view, refreshed every loop_wait) "
                    + "get no reads.",
            Bounds.of(0, Long.MAX_VALUE)),
    READ_FALLBACK("readFallback", Type.CHOICE, "leader", Group.ROUTING,
            "What a read-only transaction does when no replica is eligible: run on the leader, or fail with "
                    + "SQLState 08001.",
            choices(PgClusterConfig.ReadFallback.values(), PgClusterConfig.ReadFallback::key)),
    AUTO_COMMIT_READS("autoCommitReads", Type.CHOICE, "leader", Group.ROUTING,
            "Where auto-commit statements run that are not marked read-only: leader (always), or replica when the "
                    + "SQL text only reads: SELECT, WITH, VALUES or TABLE without FOR UPDATE/SHARE, SELECT INTO, "
                    + "data-modifying CTEs, writing functions (nextval, pg_advisory_lock, set_config, ... and those "
                    + "in writeFunctions) or the comment /*pgcluster:leader*/. See \"Auto-commit SELECTs on "
                    + "replicas\" in docs/configuration.md.",
            choices(PgClusterConfig.AutoCommitReads.values(), PgClusterConfig.AutoCommitReads::key)),
    WRITE_FUNCTIONS("writeFunctions", Type.STRING, null, Group.ROUTING,
            "Comma-separated names of functions that write or must run on the leader, besides the built-in ones "
                    + "(nextval, setval, pg_advisory_*, ...): with autoCommitReads=replica, a SELECT that calls one "
                    + "(in any schema, any letter case) runs on the leader. Names only: no schema, quotes or "
                    + "arguments."),
    READ_YOUR_WRITES("readYourWrites", Type.CHOICE, "jvm", Group.ROUTING,
            "jvm: after this JVM commits a write on the leader it asks for the WAL position (one extra round trip), "
                    + "and a later read goes to a replica only once that replica has replayed it, so reads see the "
                    + "writes this JVM made; off: nothing is learned, reads may miss a write a replica has not "
                    + "replayed yet. PgClusterDataSource.readAtLeast works either way. See \"Read-your-writes\" in "
                    + "docs/configuration.md.",
            choices(PgClusterConfig.ReadYourWrites.values(), PgClusterConfig.ReadYourWrites::key)),
    READ_YOUR_WRITES_TIMEOUT("readYourWritesTimeout", Type.DURATION, "20ms", Group.ROUTING,
            "How long a read that must see a write waits for its replica to replay it (looking every millisecond) "
                    + "before it goes to the leader instead; 0 goes to the leader at once.",
            Bounds.duration(Duration.ZERO, Duration.ofMinutes(1))),
    SUSPECT_TIMEOUT("suspectTimeout", Type.DURATION, "5s", Group.ROUTING,
            "After a connection failure a member gets no new connections for this long, unless the topology "
                    + "reports it afresh.",
            Bounds.duration(Duration.ZERO, Duration.ofMinutes(10))),
    FAILOVER_TIMEOUT("failoverTimeout", Type.DURATION, "30s", Group.FAILOVER,
            "How long a write waits for a leader (during a failover or switchover) before it fails with "
                    + "SQLState 08001. 0: do not wait for an absent leader; a leader the topology names is still "
                    + "tried, for up to connectionTimeout.",
            Bounds.duration(Duration.ZERO, Duration.ofHours(1))),
    SWITCHOVER_DRAIN("switchoverDrain", Type.DURATION, "5s", Group.FAILOVER,
            "When the topology source announces a switchover away from the leader (Patroni's failover key: etcd, "
                    + "zookeeper and consul sources; the patroni source sees scheduled switchovers only), new write "
                    + "transactions and auto-commit writes wait for the new leader instead of starting on the old "
                    + "one, for at most this long (a scheduled switchover: from its scheduled time); transactions "
                    + "already open finish on the old leader. 0: no drain.",
            Bounds.duration(Duration.ZERO, Duration.ofMinutes(10))),
    RETRY_MAX_ATTEMPTS("retryMaxAttempts", Type.INT, "5", Group.FAILOVER,
            "Attempts (the first included) of a unit of work run through PgClusterDataSource.inTransaction when "
                    + "it fails with a retryable SQLState.",
            Bounds.of(1, 100)),
    STATEMENT_MAX_ATTEMPTS("statementMaxAttempts", Type.INT, "5", Group.FAILOVER,
            "Attempts (the first included) of one statement that pgcluster runs again on another member after a "
                    + "connection failure, where nothing can be lost or happen twice (docs/failover.md). 1: never "
                    + "run a statement again.",
            Bounds.of(1, 100)),
    RETRY_INITIAL_BACKOFF("retryInitialBackoff", Type.DURATION, "50ms", Group.FAILOVER,
            "Pause before the second attempt of a unit of work; doubles per attempt up to retryMaxBackoff.",
            Bounds.duration(Duration.ZERO, Duration.ofMinutes(1))),
    RETRY_MAX_BACKOFF("retryMaxBackoff", Type.DURATION, "2s", Group.FAILOVER,
            "Longest pause between two attempts of a unit of work.",
            Bounds.duration(Duration.ZERO, Duration.ofMinutes(10))),
    RETRY_MAX_DURATION("retryMaxDuration", Type.DURATION, "60s", Group.FAILOVER,
            "No new attempt of a unit of work starts after this long since the first one.",
            Bounds.duration(Duration.ZERO, Duration.ofHours(1))),
    WRITE_POOL_SIZE("writePoolSize", Type.INT, "10", Group.POOL,
            "Maximum physical connections to the leader.", Bounds.of(1, 10_000)),
    READ_POOL_SIZE("readPoolSize", Type.INT, "10", Group.POOL,
            "Maximum physical connections to each replica.", Bounds.of(1, 10_000)),
    MIN_IDLE("minIdle", Type.INT, "1", Group.POOL,
            "Idle physical connections each pool keeps ready (at most the pool's size).", Bounds.of(0, 10_000)),
    CONNECTION_TIMEOUT("connectionTimeout", Type.DURATION, "5s", Group.POOL,
            "Longest wait for a physical connection from one member's pool before another member is tried "
                    + "(reads) or the leader is waited for again (writes).",
            Bounds.duration(Duration.ofMillis(250), Duration.ofMinutes(10))),
    VALIDATION_TIMEOUT("validationTimeout", Type.DURATION, "2s", Group.POOL,
            "Longest time to check that an idle physical connection is alive.",
            Bounds.duration(Duration.ofMillis(250), Duration.ofMinutes(1))),
    IDLE_TIMEOUT("idleTimeout", Type.DURATION, "10m", Group.POOL,
            "Idle physical connections above minIdle are closed after this long (0 = never).",
            Bounds.duration(Duration.ZERO, Duration.ofDays(1))),
    MAX_LIFETIME("maxLifetime", Type.DURATION, "30m", Group.POOL,
            "Physical connections are replaced after this long (0 = never); keep it below any server or "
                    + "network idle limit.",
            Bounds.duration(Duration.ZERO, Duration.ofDays(7))),
    KEEPALIVE_TIME("keepaliveTime", Type.DURATION, "2m", Group.POOL,
            "Idle physical connections are pinged this often (0 = never).",
            Bounds.duration(Duration.ZERO, Duration.ofDays(1))),
    SHARED_IDLE_TIMEOUT("sharedIdleTimeout", Type.DURATION, "5m", Group.POOL,
            "jdbc:pgcluster: URLs (DriverManager) only: the cluster that connections with the same URL and "
                    + "credentials share is closed, with its pools and threads, this long after its last connection "
                    + "was closed (0 = at once).",
            Bounds.duration(Duration.ZERO, Duration.ofDays(1)));

    /** The kind of value a property holds, which decides how its text is parsed. */
    public enum Type {
        STRING, SECRET, INT, DURATION, BYTES, CHOICE, ADDRESSES, BOOLEAN
    }

    /** Sections of the configuration reference. */
    public enum Group {
        TOPOLOGY, CONNECTION, ROUTING, FAILOVER, POOL
    }

    private static final Map<String, PgClusterProperty> BY_KEY;

    static {
        Map<String, PgClusterProperty> byKey = new HashMap<>();
        for (PgClusterProperty p : values()) {
            byKey.put(p.key, p);
        }
        BY_KEY = Collections.unmodifiableMap(byKey);
    }

    private final String key;
    private final Type type;
    private final String defaultValue;
    private final Group group;
    private final String description;
    private final Choices choices;
    private final Bounds bounds;

    PgClusterProperty(String key, Type type, String defaultValue, Group group, String description) {
        this(key, type, defaultValue, group, description, Choices.NONE, Bounds.NONE);
    }

    PgClusterProperty(String key, Type type, String defaultValue, Group group, String description,
            Choices choices) {
        this(key, type, defaultValue, group, description, choices, Bounds.NONE);
    }

    PgClusterProperty(String key, Type type, String defaultValue, Group group, String description, Bounds bounds) {
        this(key, type, defaultValue, group, description, Choices.NONE, bounds);
    }

    PgClusterProperty(String key, Type type, String defaultValue, Group group, String description,
            Choices choices, Bounds bounds) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.group = group;
        this.description = description;
        this.choices = choices;
        this.bounds = bounds;
    }

    /** The key as written in a URL, in {@code Properties} and (under {@code pgcluster.}) in Spring Boot. */
    public String key() {
        return key;
    }

    public Type type() {
        return type;
    }

    /** The default as text, or {@code null} when the property has none (required or derived). */
    public String defaultValue() {
        return defaultValue;
    }

    public Group group() {
        return group;
    }

    public String description() {
        return description;
    }

    /** The allowed values of a {@link Type#CHOICE} property; empty otherwise. */
    public List<String> choices() {
        return choices.keys;
    }

    /** Whether the value is a secret that must never be shown. */
    public boolean isSecret() {
        return type == Type.SECRET;
    }

    /** A human-readable note of the allowed range, e.g. {@code "250ms to 10m"}; empty when unbounded. */
    public String rangeDescription() {
        return bounds.describe(type);
    }

    /** The property with this key (case-sensitive), or {@code null}. */
    public static PgClusterProperty forKey(String key) {
        return BY_KEY.get(key);
    }

    /** The property whose key equals {@code key} ignoring case, or {@code null}. */
    static PgClusterProperty forKeyIgnoreCase(String key) {
        for (PgClusterProperty p : values()) {
            if (p.key.equalsIgnoreCase(key)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Parses a value of this property.
     *
     * @return a {@code String} (STRING, SECRET, ADDRESSES), the enum constant of {@link PgClusterConfig} the choice
     *     names (CHOICE), {@code Integer} (INT), {@link Duration} (DURATION), {@code Long} (BYTES) or
     *     {@code Boolean} (BOOLEAN)
     * @throws PgClusterConfigException naming the key, the (masked) value and what would be right
     */
    public Object parse(String raw) {
        if (raw == null) {
            throw invalid(null, "a value is required");
        }
        String text = raw.trim();
        switch (type) {
            case STRING:
            case SECRET:
                if (this == WRITE_FUNCTIONS) {
                    FunctionNames.parse(this, raw);
                }
                return raw;
            case ADDRESSES:
                if (text.isEmpty()) {
                    throw invalid(raw, "expected HOST:PORT[,HOST:PORT...]");
                }
                if (PgClusterUrl.userInfoEnd(text, 0) >= 0) {
                    // user:password@host: the password must not reach the messages of Addresses, which quote parts
                    throw invalid(PgClusterUrl.maskUserInfo(text), "user information ('user:password@') is not part "
                            + "of an address; give the credentials as their own settings and HOST:PORT[,HOST:PORT...] "
                            + "here");
                }
                Addresses.parse(this, text);
                return text;
            case CHOICE:
                for (int i = 0; i < choices.keys.size(); i++) {
                    if (choices.keys.get(i).equalsIgnoreCase(text)) {
                        return choices.values.get(i);
                    }
                }
                throw invalid(raw, "expected one of " + String.join(", ", choices.keys));
            case INT:
                return number(raw, text, Units::parseInt, Integer::longValue, "expected a whole number");
            case DURATION:
                return number(raw, text, Units::parseDuration, Bounds::millis, "expected a duration such as 500ms, "
                        + "30s, 2m or PT30S (a bare number is milliseconds)");
            case BYTES:
                return number(raw, text, Units::parseBytes, Long::longValue,
                        "expected a size such as 1048576, 512kB, 16MB or 1GB");
            case BOOLEAN:
                if (text.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (text.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                throw invalid(raw, "expected true or false");
            default:
                throw new AssertionError(type);
        }
    }

    /**
     * Checks a value given typed (a builder's typed setter) as {@link #parse} checks text: the same bounds, the same
     * message, naming the key and the value as text. Addresses are text whatever the entry point: their default
     * port is the source's, known only when the configuration is built.
     *
     * @return {@code value}
     * @throws PgClusterConfigException naming the key, the value and what would be right
     */
    Object check(Object value) {
        if (value == null) {
            throw invalid(null, "a value is required");
        }
        switch (type) {
            case INT:
                bounds.check(this, format(value), (Integer) value);
                break;
            case BYTES:
                bounds.check(this, format(value), (Long) value);
                break;
            case DURATION:
                bounds.check(this, format(value), (Duration) value);
                break;
            case CHOICE:
                if (!choices.values.contains(value)) {
                    throw new IllegalArgumentException(key + ": not a choice: " + value);
                }
                break;
            case BOOLEAN:
                return (Boolean) value;
            default:
                return (String) value;
        }
        return value;
    }

    /** A typed value as text, in the form {@link #parse} reads: durations and sizes with units, choices by key. */
    String format(Object value) {
        if (value instanceof Duration) {
            return Units.formatDuration((Duration) value);
        }
        if (type == Type.BYTES) {
            return Units.formatBytes((Long) value);
        }
        int choice = choices.values.indexOf(value);
        return choice >= 0 ? choices.keys.get(choice) : String.valueOf(value);
    }

    /** A number too large for its type: the range when bounded, else the largest value the type holds. */
    private PgClusterConfigException tooLarge(String raw) {
        String range = rangeDescription();
        String limit = type == Type.BYTES ? "sizes up to " + Long.MAX_VALUE + " bytes (8191PB)"
                : type == Type.INT ? "a whole number up to " + Integer.MAX_VALUE : "a shorter duration";
        boolean unbounded = bounds == Bounds.NONE || bounds.max == Long.MAX_VALUE;
        return invalid(raw, "the number is too large; expected " + (unbounded ? limit : range));
    }

    /**
     * A number read by {@code parser} ({@code null}: not a number of that kind; too large: ArithmeticException),
     * checked against this property's bounds by its {@code magnitude}.
     */
    private <T> T number(String raw, String text, Function<String, T> parser, ToLongFunction<T> magnitude,
            String expected) {
        T v;
        try {
            v = parser.apply(text);
        } catch (ArithmeticException e) {
            throw tooLarge(raw);
        }
        if (v == null) {
            throw invalid(raw, expected + rangeSuffix());
        }
        bounds.check(this, raw, magnitude.applyAsLong(v));
        return v;
    }

    private String rangeSuffix() {
        String r = rangeDescription();
        return r.isEmpty() ? "" : " (" + r + ")";
    }

    PgClusterConfigException invalid(String raw, String expected) {
        return PgClusterConfigException.invalidValue(this, raw, expected);
    }

    /** The choices of a CHOICE property: one per constant of {@code values}, written as {@code key} gives it. */
    private static <E extends Enum<E>> Choices choices(E[] values, Function<E, String> key) {
        return new Choices(Arrays.stream(values).map(key).toList(), List.of(values));
    }

    /** The keys of a CHOICE property's values as written, and the constants they stand for, in the same order. */
    private static final class Choices {
        static final Choices NONE = new Choices(List.of(), List.of());
        final List<String> keys;
        final List<Object> values;

        Choices(List<String> keys, List<?> values) {
            this.keys = keys;
            this.values = List.copyOf(values);
        }
    }

    /** Inclusive numeric bounds; durations are compared in milliseconds. */
    static final class Bounds {
        static final Bounds NONE = new Bounds(Long.MIN_VALUE, Long.MAX_VALUE);
        final long min;
        final long max;

        private Bounds(long min, long max) {
            this.min = min;
            this.max = max;
        }

        static Bounds of(long min, long max) {
            return new Bounds(min, max);
        }

        static Bounds duration(Duration min, Duration max) {
            return new Bounds(min.toMillis(), max.toMillis());
        }

        void check(PgClusterProperty p, String raw, Duration value) {
            check(p, raw, millis(value));
        }

        /** Durations compare in whole milliseconds, saturated: one beyond a {@code long} is above any max. */
        static long millis(Duration value) {
            try {
                return value.toMillis();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }

        void check(PgClusterProperty p, String raw, long value) {
            if (value < min || value > max) {
                throw p.invalid(raw, "expected " + describe(p.type));
            }
        }

        String describe(Type type) {
            if (this == NONE) {
                return "";
            }
            switch (type) {
                case DURATION:
                    return Units.formatDuration(Duration.ofMillis(min)) + " to "
                            + Units.formatDuration(Duration.ofMillis(max));
                case BYTES:
                    return max == Long.MAX_VALUE ? "at least " + min + " bytes" : min + " to " + max + " bytes";
                default:
                    return min + " to " + max;
            }
        }
    }

    /** Lower-case keys, for suggestions. */
    static List<String> keys() {
        return Arrays.stream(values()).map(p -> p.key).toList();
    }

    /** The key, so that messages read naturally. */
    @Override
    public String toString() {
        return key;
    }
}
