package io.pgcluster.testkit.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.JsonFormat.TypeRegistry;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.pgv.validate.Validate;
import io.pgcluster.testkit.Repository;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docs/deploy/envoy.yaml without an Envoy binary (none can be installed here): the YAML is turned into JSON and parsed
 * with protobuf's JSON parser into Envoy's {@code Bootstrap} message from Envoy's published API artifact, with every
 * message of that artifact in the type registry, so a misspelt field, a malformed duration or an unknown
 * {@code @type} fails as Envoy's own loader would fail on it. What protobuf parsing leaves out is checked by hand:
 * the constraints Envoy's protos declare as required (protoc-gen-validate's {@code required}, string
 * {@code min_len}, port ranges), and what makes this file a write and a read port for Patroni (listeners, cluster
 * references, Patroni's health check paths on the REST port, no panic routing, connections closed on a failed
 * check). Runtime behaviour (does Envoy follow a switchover) is not checked: docs/deploy/README.md says so.
 */
class EnvoyBootstrapTest {
    private static final int WRITE_PORT = 5432;
    private static final int READ_PORT = 5433;
    /** Patroni's {@code lag} parameter: bytes, or a number with a unit. */
    private static final Pattern REPLICA_PATH = Pattern.compile("/replica\\?lag=\\d+(kB|MB|GB)?");

    private static TypeRegistry registry;
    private static String original;

    @BeforeAll
    static void load() throws Exception {
        registry = everyMessageOfTheApiArtifact();
        original = Files.readString(Repository.root().resolve("docs/deploy/envoy.yaml"), StandardCharsets.UTF_8);
    }

    @Test
    void theShippedFileParsesAndPassesEveryCheck() throws Exception {
        Bootstrap bootstrap = parse(original);
        assertThat(bootstrap.getStaticResources().getListenersCount()).isEqualTo(2);
        assertThat(problems(bootstrap)).isEmpty();
    }

    /** The type registry really holds the artifact: otherwise an unknown @type test would pass for any type. */
    @Test
    void theRegistryKnowsTheTypesTheFileUses() throws Exception {
        assertThat(registry.find("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")).isNotNull();
        assertThat(registry.find("envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink"))
                .isNotNull();
        assertThat(registry.find("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"))
                .isNotNull();
    }

    // ---- what protobuf's JSON parser refuses ---------------------------------------------------------------------

    @Test
    void aMisspeltFieldIsRefused() {
        String bad = mutate(original, "no_traffic_interval: 1s", "no_trafic_interval: 1s");
        assertThatThrownBy(() -> parse(bad)).isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("no_trafic_interval");
    }

    @Test
    void aFieldAtTheWrongLevelIsRefused() {
        // close_connections_on_host_health_failure belongs to the cluster, not to its health check
        String bad = mutate(original, "      no_traffic_interval: 1s\n",
                "      no_traffic_interval: 1s\n      close_connections_on_host_health_failure: true\n");
        assertThatThrownBy(() -> parse(bad)).isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("close_connections_on_host_health_failure");
    }

    @ParameterizedTest
    @CsvSource({"connect_timeout: 4s, connect_timeout: 4 s", "connect_timeout: 4s, connect_timeout: 4sec",
            "interval: 1s, interval: 1m", "idle_timeout: 1800s, idle_timeout: 30m"})
    void aBadDurationIsRefused(String from, String to) {
        String bad = mutate(original, from, to);
        assertThatThrownBy(() -> parse(bad)).isInstanceOf(InvalidProtocolBufferException.class);
    }

    @Test
    void anUnknownTypeIsRefused() {
        String bad = mutate(original, "tcp_proxy.v3.TcpProxy", "tcp_proxy.v3.TcpProxi");
        assertThatThrownBy(() -> parse(bad)).isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("TcpProxi");
    }

    @Test
    void aWrongValueTypeIsRefused() {
        String bad = mutate(original, "unhealthy_threshold: 2", "unhealthy_threshold: two");
        assertThatThrownBy(() -> parse(bad)).isInstanceOf(InvalidProtocolBufferException.class);
    }

    @Test
    void aDuplicateKeyIsRefused() {
        String bad = mutate(original, "      interval: 1s\n", "      interval: 1s\n      interval: 3s\n");
        assertThatThrownBy(() -> parse(bad)).hasMessageContaining("interval");
    }

    // ---- what this test checks itself -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            // a tcp_proxy that names a cluster nobody defines
            "cluster: pg_primary| cluster: pg_primry| no cluster 'pg_primry'",
            // the listeners
            "port_value: 5433| port_value: 5434| listeners on ports [5432, 5434]",
            // Patroni's endpoints
            "path: /primary| path: /master| write port 5432 -> cluster 'pg_primary' is checked with [/master]",
            "path: /replica?lag=16MB| path: /replica| read port 5433 -> cluster 'pg_replicas' is checked with [/replica]",
            "path: /replica?lag=16MB| path: /replica?lag=16 MB| is checked with [/replica?lag=16 MB]",
            // the REST port
            "health_check_config: { port_value: 8008 }| health_check_config: { port_value: 5432 }|"
                    + " checked on its traffic port 5432",
            "health_check_config: { port_value: 8008 }| health_check_config: { port_value: 80080 }| port 80080",
            // the settings the file's header explains
            "healthy_panic_threshold: { value: 0 }| healthy_panic_threshold: { value: 50 }| healthy_panic_threshold",
            "close_connections_on_host_health_failure: true| close_connections_on_host_health_failure: false|"
                    + " close_connections_on_host_health_failure",
            "no_traffic_interval: 1s| no_traffic_interval: 60s| no_traffic_interval",
            // protoc-gen-validate's rules, which protobuf parsing does not enforce (quoted: leading blanks count)
            "'      unhealthy_threshold: 2'| ''| unhealthy_threshold is required",
            "'    - timeout: 2s\\n      interval: 1s'| '    - interval: 1s'| timeout is required",
            "'          stat_prefix: read'| ''| stat_prefix is shorter than 1",
            "'          cluster: pg_replicas'| ''| cluster_specifier: one of it is required",
    })
    void aBrokenCopyFailsTheChecks(String from, String to, String expected) throws Exception {
        String bad = mutate(original, from.replace("\\n", "\n"), to.replace("\\n", "\n"));
        assertThat(problems(parse(bad))).anySatisfy(p -> assertThat(p).contains(expected.trim()));
    }

    // ---- parsing --------------------------------------------------------------------------------------------------

    /** YAML -> JSON -> Bootstrap, refusing unknown fields (JsonFormat's default) and duplicate YAML keys. */
    static Bootstrap parse(String yaml) throws InvalidProtocolBufferException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Object tree = new Yaml(new SafeConstructor(options)).load(yaml);
        String json;
        try {
            json = new ObjectMapper().writeValueAsString(tree);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
        Bootstrap.Builder builder = Bootstrap.newBuilder();
        JsonFormat.parser().usingTypeRegistry(registry).merge(json, builder);
        return builder.build();
    }

    /**
     * Every message type of the Envoy API artifact (Envoy's, xDS's, UDPA's and protoc-gen-validate's protos): each
     * generated outer class has a static {@code getDescriptor()}, and the registry adds a file's dependencies too.
     */
    private static TypeRegistry everyMessageOfTheApiArtifact() throws Exception {
        TypeRegistry.Builder builder = TypeRegistry.newBuilder();
        Path jar = Paths.get(Bootstrap.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ClassLoader loader = EnvoyBootstrapTest.class.getClassLoader();
        int files = 0;
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                // outer classes only; Envoy names them after the file (BootstrapProto), pgv's is Validate
                if (!name.endsWith(".class") || name.contains("$") || !(name.endsWith("Proto.class")
                        || name.endsWith("/Validate.class"))) {
                    continue;
                }
                Class<?> type = Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                Method descriptor;
                try {
                    descriptor = type.getMethod("getDescriptor");
                } catch (NoSuchMethodException notOuter) {
                    continue;
                }
                if (!Modifier.isStatic(descriptor.getModifiers()) || descriptor.getReturnType() != FileDescriptor.class) {
                    continue;
                }
                FileDescriptor fd = (FileDescriptor) descriptor.invoke(null);
                for (Descriptor message : fd.getMessageTypes()) {
                    builder.add(message);
                }
                files++;
            }
        }
        // the artifact has hundreds of proto files; a handful would mean the scan missed its naming
        assertThat(files).as("proto files found in %s", jar).isGreaterThan(500);
        return builder.build();
    }

    // ---- checks protobuf parsing does not do ------------------------------------------------------------------

    /** Everything wrong with a parsed bootstrap, one sentence each; empty when it is a write and a read port. */
    static List<String> problems(Bootstrap bootstrap) throws InvalidProtocolBufferException {
        List<String> problems = new ArrayList<>();
        requiredFields(bootstrap, "bootstrap", problems);
        portsInRange(bootstrap, "bootstrap", problems);

        Map<String, Cluster> clusters = new TreeMap<>();
        for (Cluster c : bootstrap.getStaticResources().getClustersList()) {
            clusters.put(c.getName(), c);
        }
        Map<Integer, String> clusterByPort = new TreeMap<>();
        for (Listener listener : bootstrap.getStaticResources().getListenersList()) {
            int port = listener.getAddress().getSocketAddress().getPortValue();
            for (FilterChain chain : listener.getFilterChainsList()) {
                for (Filter filter : chain.getFiltersList()) {
                    for (String target : targets(filter)) {
                        if (!clusters.containsKey(target)) {
                            problems.add("listener " + listener.getName() + " routes to no cluster '" + target + "'");
                        }
                        clusterByPort.put(port, target);
                    }
                }
            }
        }
        if (!clusterByPort.keySet().equals(Set.of(WRITE_PORT, READ_PORT))) {
            problems.add("listeners on ports " + clusterByPort.keySet() + ", expected [5432, 5433]");
        }
        checkPath(problems, "write port 5432", clusters.get(clusterByPort.getOrDefault(WRITE_PORT, "")),
                "/primary"::equals);
        checkPath(problems, "read port 5433", clusters.get(clusterByPort.getOrDefault(READ_PORT, "")),
                p -> REPLICA_PATH.matcher(p).matches());
        for (Cluster c : clusters.values()) {
            clusterProblems(c, problems);
        }
        return problems;
    }

    /** The clusters a network filter sends to: tcp_proxy's cluster or weighted clusters. */
    private static List<String> targets(Filter filter) throws InvalidProtocolBufferException {
        Any config = filter.getTypedConfig();
        if (!config.is(TcpProxy.class)) {
            return List.of();
        }
        TcpProxy proxy = config.unpack(TcpProxy.class);
        if (proxy.hasWeightedClusters()) {
            return proxy.getWeightedClusters().getClustersList().stream()
                    .map(TcpProxy.WeightedCluster.ClusterWeight::getName).collect(Collectors.toList());
        }
        return proxy.getCluster().isEmpty() ? List.of() : List.of(proxy.getCluster());
    }

    private static void checkPath(List<String> problems, String port, Cluster cluster,
            java.util.function.Predicate<String> expected) {
        if (cluster == null) {
            return; // already reported as a missing listener or cluster
        }
        List<String> paths = cluster.getHealthChecksList().stream()
                .map(h -> h.getHttpHealthCheck().getPath()).collect(Collectors.toList());
        if (paths.isEmpty() || !paths.stream().allMatch(expected)) {
            problems.add(port + " -> cluster '" + cluster.getName() + "' is checked with " + paths);
        }
    }

    private static void clusterProblems(Cluster c, List<String> problems) {
        String name = "cluster '" + c.getName() + "'";
        if (c.getHealthChecksCount() == 0) {
            problems.add(name + " has no active health check");
        }
        for (HealthCheck h : c.getHealthChecksList()) {
            if (!h.hasHttpHealthCheck()) {
                problems.add(name + " is not checked over HTTP (Patroni's REST API)");
            }
            // a cluster without traffic yet is checked every 60 s otherwise: a failover followed a minute late
            if (!h.hasNoTrafficInterval() || Durations.compare(h.getNoTrafficInterval(), h.getInterval()) > 0) {
                problems.add(name + ": no_traffic_interval must be set and not above interval");
            }
        }
        // Envoy's default 50 %: with one healthy host of three, it balances over all three
        if (!c.getCommonLbConfig().hasHealthyPanicThreshold()
                || c.getCommonLbConfig().getHealthyPanicThreshold().getValue() != 0) {
            problems.add(name + ": healthy_panic_threshold must be 0 (Envoy's default sends traffic to hosts that"
                    + " fail their checks once fewer than half pass)");
        }
        if (!c.getCloseConnectionsOnHostHealthFailure()) {
            problems.add(name + ": close_connections_on_host_health_failure must be true (HAProxy's"
                    + " on-marked-down shutdown-sessions)");
        }
        int endpoints = 0;
        for (LocalityLbEndpoints locality : c.getLoadAssignment().getEndpointsList()) {
            for (LbEndpoint lb : locality.getLbEndpointsList()) {
                endpoints++;
                SocketAddress traffic = lb.getEndpoint().getAddress().getSocketAddress();
                int check = lb.getEndpoint().getHealthCheckConfig().getPortValue();
                if (check == 0 || check == traffic.getPortValue()) {
                    problems.add(name + ": endpoint " + traffic.getAddress() + ":" + traffic.getPortValue()
                            + " is checked on its traffic port " + traffic.getPortValue()
                            + ", not on Patroni's REST port (health_check_config.port_value)");
                }
            }
        }
        if (endpoints == 0) {
            problems.add(name + " has no endpoints");
        }
    }

    /** Every port field (named port_value) within 1..65535, wherever it is. */
    private static void portsInRange(Message message, String path, List<String> problems) {
        for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
            FieldDescriptor field = e.getKey();
            String at = path + "." + field.getName();
            if (field.getName().equals("port_value") && field.getJavaType() == FieldDescriptor.JavaType.INT) {
                int port = (Integer) e.getValue();
                if (port < 1 || port > 65535) {
                    problems.add(at + ": port " + port + " outside 1..65535");
                }
            }
            for (Message child : children(field, e.getValue())) {
                portsInRange(child, at, problems);
            }
        }
    }

    /**
     * The subset of protoc-gen-validate's rules that protobuf parsing ignores and a hand-written file easily
     * breaks: {@code required} on messages, durations and {@code Any}s, {@code (validate.required)} on a oneof and string
     * {@code min_len}, for every message present, inside {@code Any}s too.
     */
    private static void requiredFields(Message message, String path, List<String> problems)
            throws InvalidProtocolBufferException {
        if (message instanceof Any) {
            Any any = (Any) message;
            String url = any.getTypeUrl();
            Descriptor type = registry.find(url.substring(url.lastIndexOf('/') + 1));
            if (type != null) {
                requiredFields(DynamicMessage.parseFrom(type, any.getValue()), path, problems);
            }
            return;
        }
        Descriptor type = message.getDescriptorForType();
        for (OneofDescriptor oneof : type.getOneofs()) {
            if (oneof.getOptions().getExtension(Validate.required) && !message.hasOneof(oneof)) {
                problems.add(path + "." + oneof.getName() + ": one of it is required");
            }
        }
        for (FieldDescriptor field : type.getFields()) {
            Validate.FieldRules rules = field.getOptions().getExtension(Validate.rules);
            String at = path + "." + field.getName();
            boolean present = field.isRepeated() ? message.getRepeatedFieldCount(field) > 0 : message.hasField(field);
            if ((rules.getMessage().getRequired() || rules.getDuration().getRequired()
                    || rules.getAny().getRequired()) && !present) {
                problems.add(at + " is required");
            }
            if (rules.getString().hasMinLen() && !field.isRepeated()
                    && field.getJavaType() == FieldDescriptor.JavaType.STRING
                    && ((String) message.getField(field)).length() < rules.getString().getMinLen()) {
                problems.add(at + " is shorter than " + rules.getString().getMinLen());
            }
        }
        for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
            for (Message child : children(e.getKey(), e.getValue())) {
                requiredFields(child, path + "." + e.getKey().getName(), problems);
            }
        }
    }

    private static List<Message> children(FieldDescriptor field, Object value) {
        if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
            return List.of();
        }
        if (field.isRepeated()) {
            List<Message> list = new ArrayList<>();
            for (Object o : (List<?>) value) {
                list.add((Message) o);
            }
            return list;
        }
        return List.of((Message) value);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    /** The file with its first {@code from} replaced; fails if {@code from} is not there (a mutation must bite). */
    private static String mutate(String text, String from, String to) {
        int at = text.indexOf(from);
        assertThat(at).as("'%s' in envoy.yaml", from).isGreaterThanOrEqualTo(0);
        return text.substring(0, at) + to + text.substring(at + from.length());
    }
}
