package io.pgcluster.benchmarks.failover;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches Patroni's leader key in the DCS, independently of every client under test: it reads the key every
 * {@code interval} (etcd: through its v3 JSON gateway, {@code POST /v3/kv/range}; Consul: {@code GET /v1/kv/<key>?raw},
 * a plain read rather than a blocking query, so that both DCSs are timed the same way) and records each change of its
 * value with the time it was first seen. So "the new leader key" is known to within one interval plus one local HTTP
 * round trip.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class LeaderWatch implements AutoCloseable {
    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]*)\"");

    /**
     * A change of the leader key.
     *
     * @param nanos when the new value was first seen
     * @param leader the member named by the key, or {@code null} when there is no key
     */
    record Change(long nanos, String leader) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
            .version(HttpClient.Version.HTTP_1_1).build();
    private final HttpRequest request;
    private final boolean consul;
    private final long intervalNanos;
    private final List<Change> changes = new CopyOnWriteArrayList<>();
    private final AtomicLong errors = new AtomicLong();
    private final Thread thread;
    private volatile boolean stop;

    private LeaderWatch(HttpRequest request, boolean consul, Duration interval) {
        this.request = request;
        this.consul = consul;
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this::loop, "leader-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * @param etcdUrl {@code http://host:port} of etcd's client port
     * @param key the leader key, {@code /<namespace>/<scope>/leader}
     */
    static LeaderWatch etcd(String etcdUrl, String key, Duration interval) {
        String body = "{\"key\":\"" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\"}";
        return new LeaderWatch(HttpRequest.newBuilder(URI.create(etcdUrl + "/v3/kv/range")).timeout(Duration.ofSeconds(1))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), false, interval);
    }

    /**
     * @param agentUrl {@code http://host:port} of a Consul agent's HTTP API (no ACLs, no TLS: the harness's clusters)
     * @param key the leader key as Consul spells it, {@code <namespace>/<scope>/leader} without a leading slash
     */
    static LeaderWatch consul(String agentUrl, String key, Duration interval) {
        return new LeaderWatch(HttpRequest.newBuilder(consulKeyUri(agentUrl, key)).timeout(Duration.ofSeconds(1))
                .GET().build(), true, interval);
    }

    /** The raw read of {@code key}; a leading slash is dropped, as Consul's keys have none. */
    static URI consulKeyUri(String agentUrl, String key) {
        return URI.create(agentUrl + "/v1/kv/" + key.replaceFirst("^/+", "") + "?raw");
    }

    private void loop() {
        String last = null;
        boolean first = true;
        while (!stop) {
            try {
                String now = fetch();
                if (first || !Objects.equals(now, last)) {
                    changes.add(new Change(System.nanoTime(), now));
                    last = now;
                    first = false;
                }
            } catch (IOException e) {
                errors.incrementAndGet();
            } catch (InterruptedException e) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(intervalNanos);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String fetch() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (consul && r.statusCode() == 404) {
            return null; // Consul's answer for a key that does not exist
        }
        if (r.statusCode() != 200) {
            throw new IOException((consul ? "Consul" : "etcd") + " answered " + r.statusCode() + ": " + r.body());
        }
        return consul ? r.body() : parseValue(r.body());
    }

    /** The decoded value of the first key in a {@code /v3/kv/range} answer, or {@code null} when there is none. */
    static String parseValue(String json) {
        Matcher m = VALUE.matcher(json);
        return m.find() ? new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8) : null;
    }

    /**
     * When the key was first seen naming {@code leader} at or after {@code afterNanos}, or -1.
     */
    long firstSeen(String leader, long afterNanos) {
        for (Change c : changes) {
            if (c.nanos() - afterNanos >= 0 && leader.equals(c.leader())) {
                return c.nanos();
            }
        }
        return -1;
    }

    /** Failed reads of the key so far (the DCS unreachable or slow). */
    long errors() {
        return errors.get();
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
