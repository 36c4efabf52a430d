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
 * Watches Patroni's leader key in etcd, independently of every client under test: it reads the key through etcd's
 * v3 JSON gateway ({@code POST /v3/kv/range}) every {@code interval} and records each change of its value with the
 * time it was first seen. So "the new leader key" is known to within one interval plus one local HTTP round trip.
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
    private final URI range;
    private final String body;
    private final long intervalNanos;
    private final List<Change> changes = new CopyOnWriteArrayList<>();
    private final AtomicLong errors = new AtomicLong();
    private final Thread thread;
    private volatile boolean stop;

    /**
     * @param etcdUrl {@code http://host:port} of etcd's client port
     * @param key the leader key, {@code <namespace>/<scope>/leader}
     */
    LeaderWatch(String etcdUrl, String key, Duration interval) {
        this.range = URI.create(etcdUrl + "/v3/kv/range");
        this.body = "{\"key\":\"" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\"}";
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this::loop, "leader-watch");
        thread.setDaemon(true);
        thread.start();
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
        HttpRequest req = HttpRequest.newBuilder(range).timeout(Duration.ofSeconds(1))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("etcd answered " + r.statusCode() + ": " + r.body());
        }
        return parseValue(r.body());
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

    /** Failed reads of the key so far (etcd unreachable or slow). */
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
