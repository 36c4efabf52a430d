package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Patroni's keys in Consul's KV store under {@code <namespace>/<scope>/} (no leading {@code /}: Patroni
 * strips it) through an agent's HTTP API: one read of the prefix ({@code GET /v1/kv/<prefix>?recurse}), then
 * <em>blocking queries</em> on it ({@code &index=<X-Consul-Index>&wait=...}), which Consul answers as soon as any key
 * under the prefix changes, so a leader change reaches routing as fast as with the etcd watch (no polling).
 *
 * <p>The index is handled as Consul's documentation on blocking queries prescribes: an index lower than the last one
 * (an agent restarted, a snapshot restored, another agent asked) resets to a plain read of the prefix; an index that is
 * absent or not above 0 is taken as 1, so that the next query still blocks instead of returning at once.
 *
 * <p>A prefix with no keys at all (HTTP 404) is never published as an empty topology: it means a wrong scope or
 * namespace, ACLs hiding the keys, or a KV store being written anew after an agent restart (see
 * {@link #nothingUnderPrefix()}).
 *
 * <p>Several agent addresses are asked in turn: the one that answered last, and after a failure the next one at once.
 * When none answers in a round, the view keeps the last snapshot marked unreachable (the first read after that
 * publishes again, which marks it reachable), and the round is retried with a backoff of up to 5 s. A {@code 403}
 * (the ACL token is missing, unknown or lacks read access) is a refusal naming {@code dcsToken}, not an outage.
 * A light {@code GET /v1/status/leader} every {@code pollInterval} on the agent in use tells whether it still
 * answers and has a Consul leader; a silent one has its blocking query cut short, so the next agent takes over
 * within {@code pollInterval + dcsTimeout} instead of at the end of the query's wait.
 *
 * <p>HTTP and TLS are {@link RestClient}'s (no Consul client library): the KV API needed is one {@code GET}, and the
 * driver already verifies TLS and bounds every exchange for Patroni's REST API. The ACL token goes in the
 * {@code X-Consul-Token} header, never in a URL, a log or {@link #describe()}.
 *
 * <p>Thread-safety: the blocking queries run on a daemon thread of this source ({@code pgcluster-<name>-consul}),
 * since one may wait for {@link #WAIT}; what they read, and the reachability checks, are handled on the cluster's
 * topology thread, which owns the published keys. {@link #refresh()} and {@link #close()} may be called from any
 * thread.
 */
final class ConsulSource implements TopologySource {
    private static final Logger log = LoggerFactory.getLogger(ConsulSource.class);
    /** How long one blocking query may wait for a change; Consul adds up to 1/16 of it as jitter. */
    static final Duration WAIT = Duration.ofSeconds(30);
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** A blocking query that returns sooner than this with nothing new is not repeated at once (Consul's advice). */
    private static final long MIN_QUERY_SPACING_MILLIS = 100;
    private static final String TOKEN_HEADER = "X-Consul-Token";

    private final String cluster;
    private final List<HostAndPort> agents;
    private final String prefix;
    private final String kvPath;
    private final Map<String, String> headers;
    private final boolean hasToken;
    private final RestClient queries;
    private final RestClient checks;
    private final Duration timeout;
    private final Duration wait;
    private final long intervalMillis;
    private final ScheduledExecutorService executor;
    private final PatroniParser parser;
    private volatile int current;
    private volatile boolean closed;
    private volatile Thread thread;
    /** Why the check cut the query in progress short, for the loop's report; {@code null} if it did not. */
    private volatile String cutShort;
    // Confined to the topology thread:
    private ClusterView view;
    private Map<String, String> published;
    private boolean reachable = true;

    /**
     * @param namespace Patroni's namespace as configured ({@code /service}); its leading {@code /} is dropped
     * @param token the ACL token, or {@code null}
     * @param queries the client for blocking queries (used by this source's thread only)
     * @param checks the client for reachability checks (used on the topology thread only)
     * @param wait how long one blocking query waits for a change ({@link #WAIT}; shorter in tests)
     */
    ConsulSource(String cluster, List<HostAndPort> agents, String namespace, String scope, String token,
            RestClient queries, RestClient checks, AllowedHosts allowed, Duration timeout, Duration interval,
            Duration wait, ScheduledExecutorService executor) {
        this.cluster = cluster;
        this.agents = List.copyOf(agents);
        this.prefix = prefix(namespace, scope);
        this.kvPath = "/v1/kv/" + encodePath(prefix) + "?recurse";
        this.headers = token == null ? Map.of() : Map.of(TOKEN_HEADER, token);
        this.hasToken = token != null;
        this.queries = queries;
        this.checks = checks;
        this.timeout = timeout;
        this.wait = wait;
        this.intervalMillis = interval.toMillis();
        this.executor = executor;
        this.parser = new PatroniParser(cluster, allowed);
    }

    /** {@code service/<scope>/} for namespace {@code /service}: Patroni's Consul keys have no leading slash. */
    static String prefix(String namespace, String scope) {
        String ns = namespace;
        while (ns.startsWith("/")) {
            ns = ns.substring(1);
        }
        if (!ns.isEmpty() && !ns.endsWith("/")) {
            ns += "/";
        }
        return ns + scope + "/";
    }

    /** Each segment percent-encoded (a scope may hold a space or '%'), the slashes kept. */
    private static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            if (out.length() > 0 || path.startsWith("/")) {
                out.append('/');
            }
            out.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return out.toString();
    }

    @Override
    public void start(ClusterView view) {
        this.view = view;
        Thread t = new Thread(this::follow, "pgcluster-" + cluster + "-consul");
        t.setDaemon(true);
        thread = t;
        t.start();
        schedule(this::check, intervalMillis);
    }

    /**
     * A failed connection hints at a change: the blocking query already returns on any change, so the only thing
     * to learn is whether the agent in use still answers; check it now.
     */
    @Override
    public void refresh() {
        if (!closed && view != null) {
            Tasks.submit(executor, () -> check(false));
        }
    }

    /** The blocking-query loop, on this source's own thread, until closed. */
    private void follow() {
        long index = 0;
        int failedRounds = 0;
        int failuresInRound = 0;
        boolean refusedInRound = false;
        StringBuilder problems = new StringBuilder();
        while (!closed) {
            int at = current;
            HostAndPort agent = agents.get(at);
            boolean blocking = index > 0;
            long started = System.nanoTime();
            String problem;
            boolean refused = false;
            try {
                RestClient.Response r = queries.exchange(agent, blocking ? kvPath + "&index=" + index + "&wait="
                        + wait.toSeconds() + "s" : kvPath, headers, blocking ? wait.plus(wait.dividedBy(16))
                        .plus(timeout) : timeout);
                if (r.status() == 200 || r.status() == 404) {
                    long next = index(r);
                    if (blocking && next > 0 && next < index) { // 0 or none is no index, not one that went back
                        log.debug("pgcluster {}: Consul index went back from {} to {} at {}; reading {} again",
                                cluster, index, next, agent, prefix);
                        index = 0;
                        continue;
                    }
                    if (r.status() == 404) {
                        submit(this::nothingUnderPrefix);
                    } else {
                        Map<String, String> keys = keys(r.body());
                        submit(() -> received(keys));
                    }
                    if (blocking && next <= index && millisSince(started) < MIN_QUERY_SPACING_MILLIS) {
                        pause(MIN_QUERY_SPACING_MILLIS);
                    }
                    index = next <= 0 ? 1 : next;
                    cutShort = null;
                    failedRounds = 0;
                    failuresInRound = 0;
                    refusedInRound = false;
                    problems.setLength(0);
                    continue;
                }
                // a token or a TLS setting to fix, not an outage to wait out
                refused = r.status() == 403 || plaintextToHttps(r);
                problem = explain(r);
            } catch (IOException | RuntimeException e) {
                problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                refused = problem.startsWith("TLS handshake failed"); // RestClient's words: trust, names, protocol
                String reason = cutShort;
                if (reason != null) {
                    cutShort = null;
                    problem = "the agent failed its check (GET /v1/status/leader: " + reason + ")";
                }
            }
            if (closed) {
                return;
            }
            // this agent failed: read the whole prefix from the next one (its index need not match this one's)
            index = 0;
            if (problems.length() > 0) {
                problems.append("; ");
            }
            problems.append(queries.scheme()).append("://").append(agent).append(": ").append(problem);
            refusedInRound |= refused;
            current = (at + 1) % agents.size();
            if (++failuresInRound < agents.size()) {
                continue;
            }
            String all = "Consul " + problems;
            boolean refusal = refusedInRound;
            submit(() -> unreachable(all, refusal));
            failuresInRound = 0;
            refusedInRound = false;
            problems.setLength(0);
            pause(Math.min(MAX_BACKOFF_MILLIS, intervalMillis << Math.min(++failedRounds, 6)));
        }
    }

    /** What a status other than 200/404 means, naming the setting to change. */
    private String explain(RestClient.Response r) {
        String body = r.body().isEmpty() ? "" : " (" + r.body() + ")";
        if (r.status() == 403) {
            String grant = "whose policy grants key read on '" + prefix + "'";
            return hasToken
                    ? "HTTP 403, the ACL token in dcsToken was refused" + body + ": check that dcsToken holds a valid "
                            + "token " + grant
                    : "HTTP 403, Consul has ACLs enabled and refused a request without a token" + body
                            + ": set dcsToken to a token " + grant;
        }
        if (plaintextToHttps(r)) {
            return "HTTP 400" + body + ": the agent serves https here; set dcsTls=true and dcsCaFile";
        }
        return "HTTP " + r.status() + body;
    }

    /** Go's answer to plain HTTP on a TLS port: "Client sent an HTTP request to an HTTPS server." */
    private static boolean plaintextToHttps(RestClient.Response r) {
        return r.status() == 400 && r.body().contains("HTTPS");
    }

    /** {@code X-Consul-Index}, or -1 when absent or malformed. */
    private static long index(RestClient.Response r) {
        String v = r.headers().get("x-consul-index");
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The keys of a recursive read, relative to the prefix, with their values decoded (Consul sends them in base64;
     * a key without value, such as a "folder", becomes "").
     *
     * @throws IllegalArgumentException if the answer is not Consul's list of entries
     */
    Map<String, String> keys(String body) {
        Object parsed = Json.parse(body);
        if (!(parsed instanceof List)) {
            throw new IllegalArgumentException("the KV answer is not a JSON array");
        }
        Map<String, String> keys = new HashMap<>();
        for (Object o : (List<?>) parsed) {
            if (!(o instanceof Map)) {
                continue;
            }
            Map<?, ?> entry = (Map<?, ?>) o;
            if (!(entry.get("Key") instanceof String)) {
                continue;
            }
            String key = (String) entry.get("Key");
            if (!key.startsWith(prefix) || key.length() == prefix.length()) {
                continue;
            }
            Object value = entry.get("Value");
            String text = "";
            if (value instanceof String) {
                try {
                    text = new String(Base64.getDecoder().decode((String) value), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("the value of " + key + " is not base64");
                }
            }
            keys.put(key.substring(prefix.length()), text);
        }
        return keys;
    }

    /** On the topology thread: publishes what a read found, if it changed or the source was marked unreachable. */
    private void received(Map<String, String> keys) {
        if (closed) {
            return;
        }
        if (!reachable || !keys.equals(published)) {
            published = keys;
            reachable = true;
            view.publish(parser.fromDcs(keys));
        }
    }

    /**
     * On the topology thread: Consul answered that nothing lies under the prefix. A running Patroni cluster always has
     * keys there, so this is a wrong scope or namespace, or ACLs hiding the keys (with {@code default_policy deny}
     * Consul answers a token without read access with 404, not 403), or a KV store being written anew (a dev agent
     * restarted). Never an empty topology: until the keys appear, the last one is kept, or, with none yet, the
     * reason is reported at once.
     */
    private void nothingUnderPrefix() {
        if (closed) {
            return;
        }
        String problem = "Consul " + queries.scheme() + "://" + agents.get(current) + ": no keys under '" + prefix
                + "' (HTTP 404): check scope and namespace; if Consul enforces ACLs, "
                + (hasToken ? "check that the token in dcsToken" : "set dcsToken to a token that")
                + " may read that prefix (Consul hides keys a token may not read)";
        published = null;
        unreachable(problem, !view.current().isKnown());
    }

    private void unreachable(String problem, boolean refused) {
        if (closed) {
            return;
        }
        reachable = false;
        if (refused) {
            view.sourceRefused(problem);
        } else {
            view.sourceUnreachable(problem);
        }
    }

    private void check() {
        check(true);
    }

    /**
     * On the topology thread: does the agent in use answer and know a Consul leader? If not, its blocking query is
     * cut short, so that the loop reports the outage and moves on to the next agent at once.
     */
    private void check(boolean reschedule) {
        if (closed) {
            return;
        }
        if (!reachable) {
            // the query loop is already retrying every agent; a check would only hold this thread up to dcsTimeout
            if (reschedule) {
                schedule(this::check, intervalMillis);
            }
            return;
        }
        HostAndPort agent = agents.get(current);
        String problem = null;
        try {
            RestClient.Response r = checks.exchange(agent, "/v1/status/leader", headers, timeout);
            // another status is an answer all the same: the blocking query reports its own errors
            if (r.status() == 200 && r.body().replace("\"", "").isBlank()) {
                problem = "the agent knows no Consul leader";
            }
        } catch (IOException | RuntimeException e) {
            problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        if (problem != null && !closed && agent.equals(agents.get(current))) {
            log.debug("pgcluster {}: Consul agent {} failed its check ({}); cutting its blocking query short",
                    cluster, agent, problem);
            cutShort = problem;
            queries.cancel();
        }
        if (reschedule) {
            schedule(this::check, intervalMillis);
        }
    }

    private void schedule(Runnable task, long delayMillis) {
        if (closed) {
            return;
        }
        try {
            executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void submit(Runnable task) {
        if (!closed) {
            Tasks.submit(executor, task);
        }
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // close() interrupts; the loop checks closed
        }
    }

    @Override
    public String describe() {
        StringBuilder s = new StringBuilder("Consul [");
        for (int i = 0; i < agents.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(queries.scheme()).append("://").append(agents.get(i));
        }
        return s.append("] ").append(prefix).append(hasToken ? " (with ACL token)" : "").toString();
    }

    /** Ends a blocking query in progress at once and the source's thread shortly after. */
    @Override
    public void close() {
        closed = true;
        queries.abort();
        checks.abort();
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(timeout.toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
