package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Consul agent that serves as Patroni's DCS when a cluster is built with {@link Dcs#CONSUL}: Consul 1.8 (Debian
 * 11's binary, unpacked by {@code scripts/setup.sh}) in dev mode on 127.0.0.1, with its own ports (DNS and gRPC off).
 * A dev agent keeps its state in memory: {@link #stop()} and {@link #start()} simulate an agent restart after which
 * the KV store is empty and Consul's index starts low again (Patroni writes its keys anew); the port stays the same.
 *
 * <p>Built with {@code consulAcl(true)} the agent enforces ACLs with {@code default_policy deny}: {@link
 * #patroniToken()} may write the cluster's key prefix {@link #keyPrefix()} and use sessions, {@link #clientToken()}
 * may only read that prefix, {@link #managementToken()} may do anything. The tokens are created again, with the same
 * secrets, after every start. Without a token a read of the prefix answers 404 (deny hides keys), with an unknown
 * token 403 {@code ACL not found}, a write with the client token 403 {@code Permission denied}.
 *
 * <p>Built with {@code consulTls(true)} the HTTP API is {@code https://} only, with a certificate for 127.0.0.1 and
 * localhost signed by {@link #caFile()}; no client certificate is required.
 *
 * <p>Thread-safe: stop and start are serialized; the rest is immutable.
 *
 * <pre>{@code
 * ConsulServer consul = cluster.consul();
 * String url = consul.url();               // http(s)://127.0.0.1:<port>
 * consul.stop();  consul.start();         // empty KV, index starts over; Patroni re-creates its keys
 * }</pre>
 */
public final class ConsulServer extends DcsServer {
    static final String PATRONI_POLICY = "patroni";
    static final String CLIENT_POLICY = "pgcluster-read";

    private final Certificates ca; // null: plain http
    private final Acl acl; // null: ACLs off
    private final String keyPrefix;

    /** The tokens of an agent with ACLs: random UUIDs, fixed for the cluster's life. */
    record Acl(String management, String patroni, String client) {
        static Acl random() {
            return new Acl(UUID.randomUUID().toString(), UUID.randomUUID().toString(), UUID.randomUUID().toString());
        }

        @Override
        public String toString() {
            return "ACLs"; // the tokens are secrets
        }
    }

    /**
     * @param keyPrefix Patroni's key prefix, {@code <namespace>/<scope>/} without a leading slash
     * @param ca with TLS: the CA that signed the agent's certificate; {@code null} for http
     * @param acl with ACLs: the tokens; {@code null} without
     */
    ConsulServer(ManagedProcess process, int httpPort, String keyPrefix, Certificates ca, Acl acl) {
        super("Consul", process, httpPort);
        this.keyPrefix = keyPrefix;
        this.ca = ca;
        this.acl = acl;
    }

    /**
     * Patroni's key prefix for a namespace and scope: Consul keys have no leading slash.
     *
     * @return e.g. {@code service/pgcluster-test/}
     */
    static String keyPrefix(String namespace, String scope) {
        String ns = namespace.replaceAll("^/+", "").replaceAll("/+$", "");
        return (ns.isEmpty() ? "" : ns + "/") + scope + "/";
    }

    /**
     * The agent's HTTP address, {@code 127.0.0.1:<port>} (Patroni uses this one; for the address that goes through a
     * fault proxy see {@link PatroniCluster#consulClientAddress()}).
     *
     * @return {@code HOST:PORT}
     */
    public String hostAndPort() {
        return PatroniCluster.HOST + ":" + clientPort;
    }

    /**
     * The agent's API URL.
     *
     * @return {@code http://127.0.0.1:<port>}, or {@code https://} with TLS
     */
    public String url() {
        return scheme() + hostAndPort();
    }

    String scheme() {
        return tls() ? "https://" : "http://";
    }

    /**
     * Whether the API speaks https only.
     *
     * @return true if built with {@code consulTls(true)}
     */
    public boolean tls() {
        return ca != null;
    }

    /**
     * Whether the agent enforces ACLs.
     *
     * @return true if built with {@code consulAcl(true)}
     */
    public boolean acl() {
        return acl != null;
    }

    /**
     * The CA certificate (PEM) that signed the agent's certificate: what clients trust.
     *
     * @return the CA file
     * @throws IllegalStateException without TLS
     */
    public Path caFile() {
        if (ca == null) {
            throw new IllegalStateException("Consul serves plain http: build the cluster with consulTls(true)");
        }
        return ca.caFile();
    }

    /**
     * Patroni's key prefix in the KV store, {@code <namespace>/<scope>/} without a leading slash.
     *
     * @return e.g. {@code service/pgcluster-test/}
     */
    public String keyPrefix() {
        return keyPrefix;
    }

    /**
     * A token that may only read {@link #keyPrefix()} (policy {@value #CLIENT_POLICY}): the one clients under test use.
     *
     * @return the token's secret
     * @throws IllegalStateException without ACLs
     */
    public String clientToken() {
        return requireAcl().client();
    }

    /**
     * The token Patroni uses: write on {@link #keyPrefix()}, sessions, read on nodes and the agent.
     *
     * @return the token's secret
     * @throws IllegalStateException without ACLs
     */
    public String patroniToken() {
        return requireAcl().patroni();
    }

    /**
     * The agent's initial management ("master") token, which may do anything: for tests that change the KV store
     * themselves.
     *
     * @return the token's secret
     * @throws IllegalStateException without ACLs
     */
    public String managementToken() {
        return requireAcl().management();
    }

    private Acl requireAcl() {
        if (acl == null) {
            throw new IllegalStateException("Consul runs without ACLs: build the cluster with consulAcl(true)");
        }
        return acl;
    }

    /**
     * The agent's configuration file (JSON): dev-mode ports of its own (DNS and gRPC off), a session TTL minimum of
     * 1 s so Patroni's ttl is honoured as with etcd (Consul's default minimum, 10 s, would stretch a failover), and
     * TLS and ACLs as built.
     */
    static String configJson(int httpPort, int serverPort, int serfLanPort, int serfWanPort, Certificates.Issued tls,
            Path caFile, Acl acl) {
        Map<String, Object> ports = new LinkedHashMap<>();
        ports.put("http", tls == null ? httpPort : -1);
        if (tls != null) {
            ports.put("https", httpPort);
        }
        ports.put("dns", -1);
        ports.put("grpc", -1);
        ports.put("server", serverPort);
        ports.put("serf_lan", serfLanPort);
        ports.put("serf_wan", serfWanPort);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("datacenter", "dc1");
        c.put("primary_datacenter", "dc1");
        c.put("node_name", "consul-" + httpPort);
        c.put("disable_update_check", true);
        c.put("session_ttl_min", "1s");
        c.put("log_level", "info");
        c.put("ports", ports);
        if (tls != null) {
            c.put("ca_file", caFile.toString());
            c.put("cert_file", tls.cert().toString());
            c.put("key_file", tls.key().toString());
            c.put("verify_incoming", false);
            c.put("verify_incoming_https", false);
            c.put("verify_outgoing", false);
        }
        if (acl != null) {
            // the agent's own token: without one the dev agent cannot register itself under default deny
            c.put("acl", Map.of("enabled", true, "default_policy", "deny", "down_policy", "extend-cache",
                    "tokens", Map.of("master", acl.management(), "agent", acl.management())));
        }
        return Json.write(c);
    }

    /** {@code consul agent -dev} on 127.0.0.1 (API and cluster addresses) with its configuration file. */
    static List<String> command(Path consul, Path configFile) {
        return List.of(consul.toString(), "agent", "-dev", "-bind=" + PatroniCluster.HOST,
                "-client=" + PatroniCluster.HOST, "-config-file=" + configFile);
    }

    /** Patroni's {@code consul:} section (each line after the first starts with a line break). */
    static String patroniSection(String hostAndPort, Path caFile, String token) {
        StringBuilder b = new StringBuilder("consul:\n  host: ").append(hostAndPort)
                .append("\n  register_service: false");
        if (caFile != null) {
            b.append("\n  scheme: https\n  verify: true\n  cacert: ").append(Configs.q(caFile.toString()));
        }
        if (token != null) {
            b.append("\n  token: ").append(Configs.q(token));
        }
        return b.toString();
    }

    /** The ACL rules (HCL) of Patroni's token. */
    static String patroniRules(String keyPrefix) {
        return "key_prefix \"" + keyPrefix + "\" { policy = \"write\" }\n"
                + "session_prefix \"\" { policy = \"write\" }\n"
                + "node_prefix \"\" { policy = \"read\" }\n"
                + "agent_prefix \"\" { policy = \"read\" }\n" // Patroni reads the agent's session_ttl_min
                + "service_prefix \"\" { policy = \"write\" }\n"; // for register_service: true
    }

    /** The ACL rules (HCL) of the clients' token: read the cluster's keys, nothing else. */
    static String clientRules(String keyPrefix) {
        return "key_prefix \"" + keyPrefix + "\" { policy = \"read\" }\n";
    }

    @Override
    void awaitHealthy() {
        PatroniRest http = PatroniRest.consul(ca == null ? null : ca.caFile(), acl == null ? null : acl.management());
        Await.until("Consul " + url() + " to elect itself leader", START_TIMEOUT, Duration.ofMillis(100), () -> {
            if (!process.isAlive()) {
                throw new Await.Abort("Consul exited; log tail:\n" + process.tail(30));
            }
            PatroniRest.Response r = get(http, "/v1/status/leader");
            if (!r.ok() || !r.body.contains(":")) {
                throw new Await.NotYet("GET /v1/status/leader: " + r);
            }
            return Boolean.TRUE;
        });
        if (acl != null) {
            // a dev agent forgets its ACLs on restart: create the policies and tokens again, with the same secrets
            Await.until("Consul " + url() + " to accept the ACL policies and tokens", START_TIMEOUT,
                    Duration.ofMillis(200), () -> {
                        createAcl(http);
                        return Boolean.TRUE;
                    });
        }
    }

    private void createAcl(PatroniRest http) throws Await.NotYet {
        if (!get(http, "/v1/acl/token/self").ok()) {
            throw new Await.NotYet("the ACL system does not know the management token yet");
        }
        // each step only if missing, so a retry after a failed request picks up where it stopped
        createAcl(http, PATRONI_POLICY, patroniRules(keyPrefix), acl.patroni(), "Patroni");
        createAcl(http, CLIENT_POLICY, clientRules(keyPrefix), acl.client(), "pgcluster (read)");
    }

    private void createAcl(PatroniRest http, String policy, String rules, String token, String description)
            throws Await.NotYet {
        if (!get(http, "/v1/acl/policies").body.contains("\"" + policy + "\"")) {
            put(http, "/v1/acl/policy", Json.write(Map.of("Name", policy, "Rules", rules)));
        }
        PatroniRest asToken = PatroniRest.consul(ca == null ? null : ca.caFile(), token);
        if (!get(asToken, "/v1/acl/token/self").ok()) {
            put(http, "/v1/acl/token", Json.write(Map.of("SecretID", token, "Description", description,
                    "Policies", List.of(Map.of("Name", policy)))));
        }
    }

    private PatroniRest.Response get(PatroniRest http, String path) throws Await.NotYet {
        try {
            return http.get(url() + path, Duration.ofSeconds(3));
        } catch (IOException e) {
            throw new Await.NotYet(path + ": " + e.getMessage());
        }
    }

    private void put(PatroniRest http, String path, String body) throws Await.NotYet {
        try {
            PatroniRest.Response r = http.send("PUT", url() + path, body, Duration.ofSeconds(5));
            if (!r.ok()) {
                throw new TestkitException("PUT " + path + " on Consul " + url() + ": " + r);
            }
        } catch (IOException e) {
            throw new Await.NotYet("PUT " + path + ": " + e.getMessage());
        }
    }

    @Override
    String address() {
        return url() + (acl == null ? "" : " (ACLs)");
    }
}
