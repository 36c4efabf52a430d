package io.pgcluster.jdbc.config;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The validated, immutable configuration of one pgcluster cluster: where its topology comes from, how to
 * connect, how to route, pool and retry.
 *
 * <p>Built with {@link #builder()}, whose {@code build()} checks every value against {@link PgClusterProperty}
 * and the settings against each other, so that a bad configuration fails before anything connects, with a
 * {@link PgClusterConfigException} that names the setting and what would be right.
 *
 * <pre>{@code
 * PgClusterConfig config = PgClusterConfig.builder()
 *     .etcd("10.0.0.1:2379,10.0.0.2:2379")
 *     .scope("orders")
 *     .database("orders")
 *     .user("app").password(secret)
 *     .set("maxReplicaLag", "8MB")
 *     .build();
 * try (PgClusterDataSource ds = new PgClusterDataSource(config)) { ... }
 * }</pre>
 *
 * <p>Thread-safety: instances are immutable; the builder is not thread-safe.
 */
public final class PgClusterConfig {

    /**
     * Where the topology comes from; see {@link PgClusterProperty#SOURCE}. Each source carries what the
     * configuration needs to know about it: its default port, whether it needs a scope, whether its members come
     * from Patroni's data, its URL form. How a source is created lives in the {@code source} package (which maps
     * each constant to its factory), so that configuration does not depend on the transports.
     */
    public enum Source {
        ETCD("etcd", 2379, "etcd endpoints", true, true,
                "jdbc:pgcluster:etcd://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&key=value...]"),
        ZOOKEEPER("zookeeper", 2181, "ZooKeeper servers", true, true,
                "jdbc:pgcluster:zookeeper://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&key=value...]"),
        CONSUL("consul", 8500, "Consul agent addresses", true, true,
                "jdbc:pgcluster:consul://HOST:PORT[,HOST:PORT...]/DATABASE?scope=SCOPE[&key=value...] with the "
                        + "Consul agents' HTTP API addresses"),
        PATRONI("patroni", 8008, "Patroni REST API addresses", false, true,
                "jdbc:pgcluster:patroni://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...] with the Patroni REST API "
                        + "addresses"),
        HOSTS("hosts", 5432, "PostgreSQL servers", false, false,
                "jdbc:pgcluster:hosts://HOST:PORT[,HOST:PORT...]/DATABASE[?key=value...]"),
        ENDPOINTS("endpoints", 5432, "write address", false, false,
                "jdbc:pgcluster:endpoints://WRITE_HOST:PORT/DATABASE?read=READ_HOST:PORT[&key=value...]");

        private final String key;
        private final int defaultPort;
        private final String serversMeaning;
        private final boolean needsScope;
        private final boolean readsPatroni;
        private final String urlForm;

        Source(String key, int defaultPort, String serversMeaning, boolean needsScope, boolean readsPatroni,
                String urlForm) {
            this.key = key;
            this.defaultPort = defaultPort;
            this.serversMeaning = serversMeaning;
            this.needsScope = needsScope;
            this.readsPatroni = readsPatroni;
            this.urlForm = urlForm;
        }

        /** The name used in URLs and properties. */
        public String key() {
            return key;
        }

        /** The port assumed when an address has none. */
        public int defaultPort() {
            return defaultPort;
        }

        /** Whether this source reads Patroni's keys from a DCS under {@code <namespace>/<scope>/}: it needs scope. */
        public boolean needsScope() {
            return needsScope;
        }

        /**
         * Whether the members come from Patroni's data, read from a DCS or Patroni's REST API: only then do the
         * settings of that channel (dcsUser, dcsTls, ...) and the member allow-list apply.
         */
        public boolean readsPatroni() {
            return readsPatroni;
        }

        /** Whether the source takes a separate read address ({@code read}) next to its one write address. */
        public boolean needsReadAddress() {
            return this == ENDPOINTS;
        }

        /** What the configured addresses are, for messages: "etcd endpoints", "PostgreSQL servers", ... */
        String serversMeaning() {
            return serversMeaning;
        }

        /** The URL form of this source, for messages. */
        String urlForm() {
            return urlForm;
        }

        /** The source named {@code key} (as in URLs, any case), or {@code null} for an unknown name. */
        public static Source forKey(String key) {
            for (Source s : values()) {
                if (s.key.equalsIgnoreCase(key)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** How reads are spread over eligible replicas; see {@link PgClusterProperty#LOAD_BALANCE}. */
    public enum LoadBalance {
        ROUND_ROBIN("roundRobin"), RANDOM("random"), LEAST_CONNECTIONS("leastConnections");

        /** The replicas a pick chooses among, read in place (the hot path allocates nothing). */
        public interface Candidates {
            /** How many; at least 1. */
            int size();

            /** Connections in use at candidate {@code i}, or -1 when it takes no new work now. */
            int activeConnections(int i);
        }

        private final String key;

        LoadBalance(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        /**
         * The candidate to try first, {@code 0 <= i < c.size()}; the router tries the others in order after it.
         * Least connections: the fewest in use, ties taken round-robin so that idle replicas share the work.
         *
         * @param next the router's round-robin counter
         */
        public int first(Candidates c, AtomicInteger next) {
            int n = c.size();
            if (this == RANDOM) {
                return ThreadLocalRandom.current().nextInt(n);
            }
            int offset = (next.getAndIncrement() & Integer.MAX_VALUE) % n;
            if (this == ROUND_ROBIN) {
                return offset;
            }
            int best = offset;
            int bestActive = Integer.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                int k = (offset + i) % n;
                int a = c.activeConnections(k);
                if (a >= 0 && a < bestActive) {
                    best = k;
                    bestActive = a;
                }
            }
            return best;
        }
    }

    /** What reads do when no replica is eligible; see {@link PgClusterProperty#READ_FALLBACK}. */
    public enum ReadFallback {
        LEADER, FAIL;

        /** The name used in URLs and properties. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether reads see this JVM's writes; see {@link PgClusterProperty#READ_YOUR_WRITES}. */
    public enum ReadYourWrites {
        JVM, OFF;

        /** The name used in URLs and properties. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Whether members are reached through a pooler next to each of them; see {@link PgClusterProperty#POOLER}. */
    public enum Pooler {
        NONE, NODE;

        /** The name used in URLs and properties. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where auto-commit statements that only read run; see {@link PgClusterProperty#AUTO_COMMIT_READS}. */
    public enum AutoCommitReads {
        LEADER, REPLICA;

        /** The name used in URLs and properties. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Map<PgClusterProperty, Object> values;
    private final Properties pgjdbcProperties;
    private final Source source;
    private final List<HostAndPort> servers;
    private final HostAndPort readEndpoint;

    private PgClusterConfig(Map<PgClusterProperty, Object> values, Properties pgjdbc) {
        this.values = Collections.unmodifiableMap(new EnumMap<>(values));
        this.pgjdbcProperties = pgjdbc;
        this.source = (Source) values.get(PgClusterProperty.SOURCE);
        String rawServers = (String) values.get(PgClusterProperty.SERVERS);
        this.servers = Addresses.parse(PgClusterProperty.SERVERS, rawServers, source.defaultPort());
        if (source == Source.ETCD) {
            Addresses.requireUriAuthorities(PgClusterProperty.SERVERS, rawServers, servers, "the etcd client");
        }
        String read = (String) values.get(PgClusterProperty.READ);
        this.readEndpoint = read == null ? null
                : Addresses.parse(PgClusterProperty.READ, read, source.defaultPort()).get(0);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's settings, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        b.pgjdbc.putAll(pgjdbcProperties);
        return b;
    }

    public Source source() {
        return source;
    }

    /** The configured addresses; their meaning depends on {@link #source()}. */
    public List<HostAndPort> servers() {
        return servers;
    }

    /** The read address of source endpoints, or {@code null}. */
    public HostAndPort readEndpoint() {
        return readEndpoint;
    }

    public String database() {
        return string(PgClusterProperty.DATABASE);
    }

    /** The database user, or {@code null} (pgjdbc then uses the OS user). */
    public String user() {
        return string(PgClusterProperty.USER);
    }

    /**
     * The database password, or {@code null}. Kept out of {@link #toString()}, logs and exceptions; only the
     * physical connection factory reads it.
     */
    public String password() {
        return string(PgClusterProperty.PASSWORD);
    }

    /** Patroni's scope, or {@code null} for sources that do not need it. */
    public String scope() {
        return string(PgClusterProperty.SCOPE);
    }

    public String namespace() {
        return string(PgClusterProperty.NAMESPACE);
    }

    /** The cluster's name in logs, threads and metrics: {@code name}, else the scope, else the first server. */
    public String name() {
        String n = string(PgClusterProperty.NAME);
        if (n != null) {
            return n;
        }
        String scope = scope();
        return scope != null ? scope : servers.get(0).toString();
    }

    public String dcsUser() {
        return string(PgClusterProperty.DCS_USER);
    }

    public String dcsPassword() {
        return string(PgClusterProperty.DCS_PASSWORD);
    }

    /** Consul's ACL token (source consul), or {@code null}. */
    public String dcsToken() {
        return string(PgClusterProperty.DCS_TOKEN);
    }

    /** Whether the topology source is reached over TLS. */
    public boolean dcsTls() {
        return bool(PgClusterProperty.DCS_TLS);
    }

    /** PEM file of the CAs that sign the topology source's certificates, or {@code null} (JVM trust store). */
    public String dcsCaFile() {
        return string(PgClusterProperty.DCS_CA_FILE);
    }

    /** PEM client certificate for the topology source, or {@code null}. */
    public String dcsCertFile() {
        return string(PgClusterProperty.DCS_CERT_FILE);
    }

    /** PEM (PKCS#8) key of {@link #dcsCertFile()}, or {@code null}. */
    public String dcsKeyFile() {
        return string(PgClusterProperty.DCS_KEY_FILE);
    }

    /** Whether {@link #dcsPassword()} may travel without TLS. */
    public boolean dcsPlaintextCredentials() {
        return bool(PgClusterProperty.DCS_PLAINTEXT_CREDENTIALS);
    }

    /** The raw allow-list of member hosts (see {@link PgClusterProperty#ALLOWED_HOSTS}), or {@code null} for any. */
    public String allowedHosts() {
        return string(PgClusterProperty.ALLOWED_HOSTS);
    }

    /** The parsed allow-list of member hosts; {@link AllowedHosts#ANY} when none is configured. */
    public AllowedHosts allowedHostList() {
        return AllowedHosts.parse(allowedHosts());
    }

    /** How long a cluster shared through the JDBC driver stays open after its last connection closed. */
    public Duration sharedIdleTimeout() {
        return duration(PgClusterProperty.SHARED_IDLE_TIMEOUT);
    }

    public Duration dcsTimeout() {
        return duration(PgClusterProperty.DCS_TIMEOUT);
    }

    public Duration pollInterval() {
        return duration(PgClusterProperty.POLL_INTERVAL);
    }

    public LoadBalance loadBalance() {
        return (LoadBalance) values.get(PgClusterProperty.LOAD_BALANCE);
    }

    /** In bytes. */
    public long maxReplicaLag() {
        return (Long) value(PgClusterProperty.MAX_REPLICA_LAG);
    }

    public ReadFallback readFallback() {
        return (ReadFallback) values.get(PgClusterProperty.READ_FALLBACK);
    }

    public ReadYourWrites readYourWrites() {
        return (ReadYourWrites) values.get(PgClusterProperty.READ_YOUR_WRITES);
    }

    public Duration readYourWritesTimeout() {
        return duration(PgClusterProperty.READ_YOUR_WRITES_TIMEOUT);
    }

    /** Whether to connect through each member's pooler; see {@link PgClusterProperty#POOLER}. */
    public Pooler pooler() {
        return (Pooler) values.get(PgClusterProperty.POOLER);
    }

    /** See {@link PgClusterProperty#POOLER_PORT_OFFSET}; 0 when not set. */
    public int poolerPortOffset() {
        return integer(PgClusterProperty.POOLER_PORT_OFFSET);
    }

    public AutoCommitReads autoCommitReads() {
        return (AutoCommitReads) values.get(PgClusterProperty.AUTO_COMMIT_READS);
    }

    /**
     * The functions listed in {@link PgClusterProperty#WRITE_FUNCTIONS}, lower-case, in the order given, without
     * duplicates; empty when none.
     */
    public List<String> writeFunctions() {
        return FunctionNames.parse(PgClusterProperty.WRITE_FUNCTIONS, string(PgClusterProperty.WRITE_FUNCTIONS));
    }

    public Duration suspectTimeout() {
        return duration(PgClusterProperty.SUSPECT_TIMEOUT);
    }

    public Duration failoverTimeout() {
        return duration(PgClusterProperty.FAILOVER_TIMEOUT);
    }

    public Duration switchoverDrain() {
        return duration(PgClusterProperty.SWITCHOVER_DRAIN);
    }

    public int retryMaxAttempts() {
        return integer(PgClusterProperty.RETRY_MAX_ATTEMPTS);
    }

    public int statementMaxAttempts() {
        return integer(PgClusterProperty.STATEMENT_MAX_ATTEMPTS);
    }

    public Duration retryInitialBackoff() {
        return duration(PgClusterProperty.RETRY_INITIAL_BACKOFF);
    }

    public Duration retryMaxBackoff() {
        return duration(PgClusterProperty.RETRY_MAX_BACKOFF);
    }

    public Duration retryMaxDuration() {
        return duration(PgClusterProperty.RETRY_MAX_DURATION);
    }

    public int writePoolSize() {
        return integer(PgClusterProperty.WRITE_POOL_SIZE);
    }

    public int readPoolSize() {
        return integer(PgClusterProperty.READ_POOL_SIZE);
    }

    public int minIdle() {
        return integer(PgClusterProperty.MIN_IDLE);
    }

    public Duration connectionTimeout() {
        return duration(PgClusterProperty.CONNECTION_TIMEOUT);
    }

    public Duration validationTimeout() {
        return duration(PgClusterProperty.VALIDATION_TIMEOUT);
    }

    public Duration idleTimeout() {
        return duration(PgClusterProperty.IDLE_TIMEOUT);
    }

    public Duration maxLifetime() {
        return duration(PgClusterProperty.MAX_LIFETIME);
    }

    public Duration keepaliveTime() {
        return duration(PgClusterProperty.KEEPALIVE_TIME);
    }

    /** pgjdbc connection properties passed to every physical connection (a copy). */
    public Properties pgjdbcProperties() {
        Properties p = new Properties();
        p.putAll(pgjdbcProperties);
        return p;
    }

    /** The typed value of any property (default applied), or {@code null} when unset and without default. */
    public Object value(PgClusterProperty p) {
        return values.get(p);
    }

    /**
     * Every setting as text, secrets masked: what a health endpoint or a log line may show.
     */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        for (PgClusterProperty p : PgClusterProperty.values()) {
            Object v = values.get(p);
            if (v != null) {
                // a text value may hide another setting's password (scope=s;password=x: a ';' for a '&')
                out.put(p.key(), p.isSecret() ? "****" : PgClusterUrl.maskValue(p.format(v)));
            }
        }
        for (String k : pgjdbcProperties.stringPropertyNames()) {
            out.put(k, PgjdbcProperties.isSecret(k) ? "****" : PgClusterUrl.maskValue(pgjdbcProperties.getProperty(k)));
        }
        return out;
    }

    /** Settings with secrets masked. */
    @Override
    public String toString() {
        return "PgClusterConfig" + describe();
    }

    private String string(PgClusterProperty p) {
        return (String) values.get(p);
    }

    private Duration duration(PgClusterProperty p) {
        return (Duration) values.get(p);
    }

    private int integer(PgClusterProperty p) {
        return (Integer) values.get(p);
    }

    private boolean bool(PgClusterProperty p) {
        return (Boolean) values.get(p);
    }

    /**
     * Collects and validates settings. Each setter checks its value at once; {@link #build()} fills in defaults
     * and checks the settings against each other.
     *
     * <p>Not thread-safe.
     */
    public static final class Builder {
        private final Map<PgClusterProperty, Object> values = new EnumMap<>(PgClusterProperty.class);
        private final Properties pgjdbc = new Properties();

        private Builder() {
        }

        /**
         * Sets a property by its key: a {@link PgClusterProperty} key, or a pgjdbc connection property, which is
         * passed to every physical connection.
         *
         * @throws PgClusterConfigException for a bad value, or an unknown key (suggesting the nearest known one)
         */
        public Builder set(String key, String value) {
            PgClusterProperty p = PgClusterProperty.forKey(key);
            if (p != null) {
                values.put(p, p.parse(value));
                return this;
            }
            if (PgjdbcProperties.isPgjdbcProperty(key)) {
                if (PgjdbcProperties.isManaged(key)) {
                    throw PgClusterConfigException.general("pgjdbc property '" + key + "' cannot be set: pgcluster "
                            + "chooses the server for each connection (use '" + PgjdbcProperties.managedAlternative(key)
                            + "' instead).");
                }
                if (value == null) {
                    throw PgClusterConfigException.general("pgjdbc property '" + key + "' needs a value.");
                }
                pgjdbc.setProperty(key, value);
                return this;
            }
            throw PgClusterConfigException.unknownKey(key, Suggestions.nearest(key));
        }

        /** Sets every entry; see {@link #set(String, String)}. */
        public Builder setAll(Map<String, String> settings) {
            settings.forEach(this::set);
            return this;
        }

        public Builder set(PgClusterProperty p, String value) {
            values.put(p, p.parse(value));
            return this;
        }

        /** Removes a setting, so that its default applies again. */
        public Builder unset(PgClusterProperty p) {
            values.remove(p);
            return this;
        }

        /** Source etcd: Patroni's keys in etcd v3 at these endpoints ({@code HOST:PORT[,HOST:PORT...]}). */
        public Builder etcd(String endpoints) {
            return source(Source.ETCD, endpoints);
        }

        /**
         * Source zookeeper: Patroni's znodes in ZooKeeper (3.6 or newer) at these servers
         * ({@code HOST:PORT[,HOST:PORT...]}); needs {@code org.apache.zookeeper:zookeeper} on the class path.
         */
        public Builder zookeeper(String servers) {
            return source(Source.ZOOKEEPER, servers);
        }

        /**
         * Source consul: Patroni's keys in Consul's KV store, read through the HTTP API of these agents
         * ({@code HOST:PORT[,HOST:PORT...]}, default port 8500); the ACL token goes in {@code dcsToken}.
         */
        public Builder consul(String agents) {
            return source(Source.CONSUL, agents);
        }

        /** Source patroni: Patroni REST API addresses, any member will do. */
        public Builder patroni(String restAddresses) {
            return source(Source.PATRONI, restAddresses);
        }

        /** Source hosts: PostgreSQL servers whose roles are probed. */
        public Builder hosts(String servers) {
            return source(Source.HOSTS, servers);
        }

        /** Source endpoints: one write and one read address, such as HAProxy's or Envoy's ports. */
        public Builder endpoints(String write, String read) {
            source(Source.ENDPOINTS, write);
            return set(PgClusterProperty.READ, read);
        }

        private Builder source(Source s, String servers) {
            put(PgClusterProperty.SOURCE, s);
            return set(PgClusterProperty.SERVERS, servers);
        }

        /** A typed value, checked as its text would be: typed setters never go through text. */
        private Builder put(PgClusterProperty p, Object value) {
            values.put(p, p.check(value));
            return this;
        }

        public Builder scope(String scope) {
            return set(PgClusterProperty.SCOPE, scope);
        }

        public Builder namespace(String namespace) {
            return set(PgClusterProperty.NAMESPACE, namespace);
        }

        public Builder name(String name) {
            return set(PgClusterProperty.NAME, name);
        }

        public Builder database(String database) {
            return set(PgClusterProperty.DATABASE, database);
        }

        public Builder user(String user) {
            return set(PgClusterProperty.USER, user);
        }

        public Builder password(String password) {
            return set(PgClusterProperty.PASSWORD, password);
        }

        public Builder loadBalance(LoadBalance loadBalance) {
            return put(PgClusterProperty.LOAD_BALANCE, loadBalance);
        }

        public Builder maxReplicaLag(long bytes) {
            return put(PgClusterProperty.MAX_REPLICA_LAG, bytes);
        }

        public Builder readFallback(ReadFallback fallback) {
            return put(PgClusterProperty.READ_FALLBACK, fallback);
        }

        public Builder readYourWrites(ReadYourWrites mode) {
            return put(PgClusterProperty.READ_YOUR_WRITES, mode);
        }

        public Builder readYourWritesTimeout(Duration timeout) {
            return put(PgClusterProperty.READ_YOUR_WRITES_TIMEOUT, timeout);
        }

        /** Connect through the pooler next to each member (see {@link PgClusterProperty#POOLER}). */
        public Builder pooler(Pooler pooler) {
            return put(PgClusterProperty.POOLER, pooler);
        }

        /** The pooler's port relative to PostgreSQL's (see {@link PgClusterProperty#POOLER_PORT_OFFSET}). */
        public Builder poolerPortOffset(int offset) {
            return put(PgClusterProperty.POOLER_PORT_OFFSET, offset);
        }

        public Builder autoCommitReads(AutoCommitReads where) {
            return put(PgClusterProperty.AUTO_COMMIT_READS, where);
        }

        /** Functions that write or must run on the leader (see {@link PgClusterProperty#WRITE_FUNCTIONS}). */
        public Builder writeFunctions(String... names) {
            for (String name : names) {
                if (name == null) {
                    throw PgClusterProperty.WRITE_FUNCTIONS.invalid(null, "a function name is required");
                }
            }
            return set(PgClusterProperty.WRITE_FUNCTIONS, String.join(",", names));
        }

        public Builder failoverTimeout(Duration timeout) {
            return put(PgClusterProperty.FAILOVER_TIMEOUT, timeout);
        }

        public Builder switchoverDrain(Duration grace) {
            return put(PgClusterProperty.SWITCHOVER_DRAIN, grace);
        }

        public Builder writePoolSize(int size) {
            return put(PgClusterProperty.WRITE_POOL_SIZE, size);
        }

        public Builder readPoolSize(int size) {
            return put(PgClusterProperty.READ_POOL_SIZE, size);
        }

        /** A pgjdbc connection property for every physical connection, e.g. {@code sslmode=require}. */
        public Builder pgjdbcProperty(String key, String value) {
            if (!PgjdbcProperties.isPgjdbcProperty(key)) {
                throw PgClusterConfigException.unknownKey(key, Suggestions.nearest(key));
            }
            return set(key, value);
        }

        /**
         * Validates and returns the configuration.
         *
         * @throws PgClusterConfigException naming the first setting that is missing or inconsistent
         */
        public PgClusterConfig build() {
            Map<PgClusterProperty, Object> v = new EnumMap<>(values);
            for (PgClusterProperty p : PgClusterProperty.values()) {
                if (!v.containsKey(p) && p.defaultValue() != null) {
                    v.put(p, p.parse(p.defaultValue()));
                }
            }
            Source source = (Source) v.get(PgClusterProperty.SOURCE);
            if (source == null) {
                throw PgClusterConfigException.missing(PgClusterProperty.SOURCE,
                        "set it to etcd, zookeeper, patroni, hosts or endpoints (or use a jdbc:pgcluster:<source>:// "
                                + "URL)");
            }
            if (v.get(PgClusterProperty.SERVERS) == null) {
                throw PgClusterConfigException.missing(PgClusterProperty.SERVERS,
                        "list the " + source.serversMeaning() + " as HOST:PORT[,HOST:PORT...]");
            }
            String database = (String) v.get(PgClusterProperty.DATABASE);
            if (database == null || database.isBlank()) {
                throw PgClusterConfigException.missing(PgClusterProperty.DATABASE, "name the database to connect to");
            }
            String scope = (String) v.get(PgClusterProperty.SCOPE);
            if (source.needsScope() && (scope == null || scope.isBlank())) {
                throw PgClusterConfigException.missing(PgClusterProperty.SCOPE,
                        "source " + source.key() + " reads Patroni's keys under <namespace>/<scope>/; set scope to the "
                                + "Patroni cluster's 'scope'");
            }
            checkSourceSecurity(source, v);
            checkAllowedHosts(source, (String) v.get(PgClusterProperty.ALLOWED_HOSTS));
            if (source == Source.ZOOKEEPER) {
                String missing = missingZooKeeperClient(PgClusterConfig.class.getClassLoader());
                if (missing != null) {
                    throw PgClusterConfigException.conflict(PgClusterProperty.SOURCE, missing);
                }
            }
            String ns = (String) v.get(PgClusterProperty.NAMESPACE);
            if (!ns.startsWith("/")) {
                throw PgClusterProperty.NAMESPACE.invalid(ns, "expected a path starting with '/', such as /service");
            }
            if (scope != null && (scope.isBlank() || scope.contains("/"))) {
                throw PgClusterProperty.SCOPE.invalid(scope, "expected a Patroni scope name without '/'");
            }
            boolean endpoints = source.needsReadAddress();
            if (endpoints && v.get(PgClusterProperty.READ) == null) {
                throw PgClusterConfigException.missing(PgClusterProperty.READ,
                        "source endpoints needs the read address (e.g. HAProxy's read port) as read=HOST:PORT");
            }
            if (!endpoints && v.get(PgClusterProperty.READ) != null) {
                throw PgClusterConfigException.conflict(PgClusterProperty.READ, "pgcluster property 'read' applies "
                        + "only to source endpoints; source " + source.key() + " finds the replicas itself.");
            }
            if (endpoints && ((String) v.get(PgClusterProperty.SERVERS)).contains(",")) {
                throw PgClusterProperty.SERVERS.invalid((String) v.get(PgClusterProperty.SERVERS),
                        "source endpoints takes exactly one write address; put the read address in 'read'");
            }
            checkPooler(source, v);
            int minIdle = (Integer) v.get(PgClusterProperty.MIN_IDLE);
            int smallest = Math.min((Integer) v.get(PgClusterProperty.WRITE_POOL_SIZE),
                    (Integer) v.get(PgClusterProperty.READ_POOL_SIZE));
            if (minIdle > smallest) {
                throw PgClusterConfigException.conflict(PgClusterProperty.MIN_IDLE, "pgcluster property 'minIdle' ("
                        + minIdle + ") is larger than the smaller pool size (" + smallest
                        + "); lower minIdle or raise writePoolSize/readPoolSize.");
            }
            Duration initial = (Duration) v.get(PgClusterProperty.RETRY_INITIAL_BACKOFF);
            Duration max = (Duration) v.get(PgClusterProperty.RETRY_MAX_BACKOFF);
            if (initial.compareTo(max) > 0) {
                throw PgClusterConfigException.conflict(PgClusterProperty.RETRY_INITIAL_BACKOFF,
                        "pgcluster property 'retryInitialBackoff' (" + Units.formatDuration(initial)
                                + ") is longer than 'retryMaxBackoff' (" + Units.formatDuration(max) + ").");
            }
            Properties pg = new Properties();
            pg.putAll(pgjdbc);
            return new PgClusterConfig(v, pg);
        }

        /** A pooler per node needs members to find it next to; an offset without the pooler would be ignored. */
        private static void checkPooler(Source source, Map<PgClusterProperty, Object> v) {
            boolean node = v.get(PgClusterProperty.POOLER) == Pooler.NODE;
            if (node && source.needsReadAddress()) {
                throw PgClusterConfigException.conflict(PgClusterProperty.POOLER, "pgcluster property 'pooler=node' "
                        + "needs the members' addresses; source endpoints connects to the two configured addresses "
                        + "(point them at the poolers instead).");
            }
            int offset = (Integer) v.get(PgClusterProperty.POOLER_PORT_OFFSET);
            if (!node && offset != 0) {
                throw PgClusterConfigException.conflict(PgClusterProperty.POOLER_PORT_OFFSET, "pgcluster property "
                        + "'poolerPortOffset' (" + offset + ") applies only with pooler=node.");
            }
        }

        /** The member allow-list parses, and applies only to sources whose members come from Patroni's data. */
        private static void checkAllowedHosts(Source source, String allowedHosts) {
            try {
                AllowedHosts.parse(allowedHosts);
            } catch (IllegalArgumentException e) {
                throw PgClusterProperty.ALLOWED_HOSTS.invalid(allowedHosts, e.getMessage());
            }
            if (allowedHosts != null && !source.readsPatroni()) {
                throw PgClusterConfigException.conflict(PgClusterProperty.ALLOWED_HOSTS, "pgcluster property "
                        + "'allowedHosts' applies only to sources etcd, zookeeper, consul and patroni, whose member "
                        + "addresses come from Patroni's data; source " + source.key()
                        + " uses the configured addresses.");
            }
        }

        /**
         * TLS and credentials of the topology source: they apply only to sources that talk to a DCS or Patroni's
         * REST API, the files come in the pairs TLS needs, and a password never travels in clear unless asked to.
         */
        private static void checkSourceSecurity(Source source, Map<PgClusterProperty, Object> v) {
            List<PgClusterProperty> channelSettings = List.of(PgClusterProperty.DCS_USER,
                    PgClusterProperty.DCS_PASSWORD, PgClusterProperty.DCS_TOKEN, PgClusterProperty.DCS_CA_FILE,
                    PgClusterProperty.DCS_CERT_FILE, PgClusterProperty.DCS_KEY_FILE);
            boolean tls = (Boolean) v.get(PgClusterProperty.DCS_TLS);
            if (!source.readsPatroni()) {
                for (PgClusterProperty p : channelSettings) {
                    if (v.get(p) != null) {
                        throw PgClusterConfigException.conflict(p, "pgcluster property '" + p.key() + "' applies "
                                + "only to sources etcd, zookeeper, consul and patroni; source " + source.key()
                                + " reads no topology from a DCS or Patroni's REST API.");
                    }
                }
                if (tls) {
                    throw PgClusterConfigException.conflict(PgClusterProperty.DCS_TLS, "pgcluster property 'dcsTls' "
                            + "applies only to sources etcd, zookeeper, consul and patroni; for TLS to PostgreSQL use "
                            + "pgjdbc's sslmode.");
                }
                return;
            }
            if (!tls) {
                for (PgClusterProperty p : List.of(PgClusterProperty.DCS_CA_FILE, PgClusterProperty.DCS_CERT_FILE,
                        PgClusterProperty.DCS_KEY_FILE)) {
                    if (v.get(p) != null) {
                        throw PgClusterConfigException.conflict(p, "pgcluster property '" + p.key() + "' needs "
                                + "dcsTls=true; set dcsTls=true to talk TLS to the " + source.key() + " servers.");
                    }
                }
            }
            checkConsulCredentials(source, v, tls);
            if ((v.get(PgClusterProperty.DCS_CERT_FILE) == null) != (v.get(PgClusterProperty.DCS_KEY_FILE) == null)) {
                PgClusterProperty missing = v.get(PgClusterProperty.DCS_CERT_FILE) == null
                        ? PgClusterProperty.DCS_CERT_FILE : PgClusterProperty.DCS_KEY_FILE;
                throw PgClusterConfigException.missing(missing, "a client certificate needs both dcsCertFile and "
                        + "dcsKeyFile");
            }
            if ((v.get(PgClusterProperty.DCS_USER) == null) != (v.get(PgClusterProperty.DCS_PASSWORD) == null)) {
                PgClusterProperty missing = v.get(PgClusterProperty.DCS_USER) == null
                        ? PgClusterProperty.DCS_USER : PgClusterProperty.DCS_PASSWORD;
                throw PgClusterConfigException.missing(missing, "authentication to the " + source.key()
                        + " servers needs both dcsUser and dcsPassword");
            }
            if (v.get(PgClusterProperty.DCS_PASSWORD) != null && !tls
                    && !(Boolean) v.get(PgClusterProperty.DCS_PLAINTEXT_CREDENTIALS)) {
                throw PgClusterConfigException.conflict(PgClusterProperty.DCS_PASSWORD, "pgcluster property "
                        + "'dcsPassword' would travel in clear because dcsTls is false; set dcsTls=true (with "
                        + "dcsCaFile), or dcsPlaintextCredentials=true to accept that.");
            }
        }

        /**
         * Consul's HTTP API takes an ACL token, not a user and password; the token is a secret like a password and
         * never travels in clear unless asked to.
         */
        private static void checkConsulCredentials(Source source, Map<PgClusterProperty, Object> v, boolean tls) {
            if (source != Source.CONSUL) {
                if (v.get(PgClusterProperty.DCS_TOKEN) != null) {
                    throw PgClusterConfigException.conflict(PgClusterProperty.DCS_TOKEN, "pgcluster property "
                            + "'dcsToken' is Consul's ACL token and applies only to source consul; source "
                            + source.key() + " authenticates with dcsUser and dcsPassword.");
                }
                return;
            }
            for (PgClusterProperty p : List.of(PgClusterProperty.DCS_USER, PgClusterProperty.DCS_PASSWORD)) {
                if (v.get(p) != null) {
                    throw PgClusterConfigException.conflict(p, "pgcluster property '" + p.key() + "' does not apply "
                            + "to source consul: Consul's HTTP API authenticates with an ACL token; set dcsToken.");
                }
            }
            if (v.get(PgClusterProperty.DCS_TOKEN) != null && !tls
                    && !(Boolean) v.get(PgClusterProperty.DCS_PLAINTEXT_CREDENTIALS)) {
                throw PgClusterConfigException.conflict(PgClusterProperty.DCS_TOKEN, "pgcluster property "
                        + "'dcsToken' would travel in clear because dcsTls is false; set dcsTls=true (with "
                        + "dcsCaFile), or dcsPlaintextCredentials=true to accept that.");
            }
        }

        /**
         * Why the zookeeper source cannot run with the classes {@code loader} sees, or {@code null} if it can. The
         * driver does not bring ZooKeeper's client along (unlike etcd's, which it shades): applications that use the
         * source add it, so that everyone else keeps a class path without it.
         */
        static String missingZooKeeperClient(ClassLoader loader) {
            try {
                Class.forName("org.apache.zookeeper.AddWatchMode", false, loader);
                return null;
            } catch (ClassNotFoundException | LinkageError e) {
                return "Source zookeeper needs Apache ZooKeeper's client, which is not on the class path: add the "
                        + "dependency org.apache.zookeeper:zookeeper (3.6 or newer; pgcluster is tested with 3.9.5, "
                        + "which talks to ZooKeeper servers 3.6 and newer).";
            }
        }
    }
}
