package io.pgcluster.jdbc.internal.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Consul agent's HTTP API reduced to what {@link ConsulSource} uses, on loopback: {@code GET /v1/kv/<prefix>?recurse}
 * with blocking queries ({@code index}, {@code wait}) over a {@link Store} that several agents may share (one Consul
 * cluster), an ACL token check answering 403 as Consul does, and {@code /v1/status/leader}. It records each request's
 * path and query, and the token sent.
 *
 * <p>Thread-safety: the JDK's HTTP server answers on a pool of daemon threads; the store and the records are
 * thread-safe.
 */
final class FakeConsul implements AutoCloseable {

    /** The KV data of one Consul cluster, and its index. */
    static final class Store {
        private final Map<String, String> kv = new TreeMap<>();
        private long index = 10;
        private long changes;

        synchronized void put(String key, String value) {
            kv.put(key, value);
            changed(index + 1);
        }

        synchronized void delete(String key) {
            kv.remove(key);
            changed(index + 1);
        }

        /** What an agent restart or a snapshot restore does: the index goes back (and every query returns). */
        synchronized void resetIndex(long to) {
            changed(to);
        }

        synchronized long index() {
            return index;
        }

        private void changed(long newIndex) {
            index = newIndex;
            changes++;
            notifyAll();
        }

        /** Blocks while the index is {@code minIndex} and nothing changed, up to {@code waitMillis}. */
        private synchronized String read(String prefix, long minIndex, long waitMillis) throws InterruptedException {
            long start = changes;
            long deadline = System.currentTimeMillis() + waitMillis;
            while (minIndex > 0 && index <= minIndex && changes == start && System.currentTimeMillis() < deadline) {
                wait(Math.max(1, deadline - System.currentTimeMillis()));
            }
            StringBuilder json = new StringBuilder("[");
            for (Map.Entry<String, String> e : kv.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    json.append(json.length() > 1 ? "," : "").append("{\"LockIndex\":0,\"Key\":\"")
                            .append(e.getKey()).append("\",\"Flags\":0,\"Value\":").append(e.getValue() == null
                                    ? "null" : "\"" + Base64.getEncoder().encodeToString(
                                            e.getValue().getBytes(StandardCharsets.UTF_8)) + "\"")
                            .append(",\"CreateIndex\":5,\"ModifyIndex\":").append(index).append('}');
                }
            }
            return json.length() == 1 ? null : json.append(']').toString();
        }

        private synchronized void wakeAll() {
            changes++;
            notifyAll();
        }
    }

    private final Store store;
    private final String token;
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-consul");
        t.setDaemon(true);
        return t;
    });
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> tokens = new CopyOnWriteArrayList<>();
    /** The X-Consul-Index to send instead of the store's, or {@code null}; what buggy Consul versions did. */
    private volatile String indexOverride;

    private FakeConsul(Store store, String token, int port) throws IOException {
        this.store = store;
        this.token = token;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/v1/kv/", this::kv);
        server.createContext("/v1/status/leader", e -> answer(e, 200, null, "\"127.0.0.1:8300\""));
        server.setExecutor(pool);
        server.start();
    }

    /** An agent on a free port; with {@code token} non-null, ACLs are on and only that token may read. */
    static FakeConsul start(Store store, String token) throws IOException {
        return new FakeConsul(store, token, 0);
    }

    /** An agent on {@code port} (an agent started again where it was). */
    static FakeConsul start(Store store, String token, int port) throws IOException {
        return new FakeConsul(store, token, port);
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Sends {@code index} as X-Consul-Index from now on ({@code null}: the store's again). */
    void reportIndex(String index) {
        indexOverride = index;
    }

    /** Path and query of every KV request, in order. */
    List<String> requests() {
        return requests;
    }

    /** The X-Consul-Token of every KV request ("" when none). */
    List<String> tokens() {
        return tokens;
    }

    private void kv(HttpExchange e) throws IOException {
        String query = e.getRequestURI().getRawQuery();
        requests.add(e.getRequestURI().getRawPath() + (query == null ? "" : "?" + query));
        String sent = e.getRequestHeaders().getFirst("X-Consul-Token");
        tokens.add(sent == null ? "" : sent);
        if (token != null && !token.equals(sent)) {
            answer(e, 403, null, "ACL not found");
            return;
        }
        long minIndex = 0;
        long waitMillis = 300_000;
        if (query != null) {
            for (String p : query.split("&")) {
                if (p.startsWith("index=")) {
                    minIndex = Long.parseLong(p.substring(6));
                } else if (p.startsWith("wait=")) {
                    waitMillis = Long.parseLong(p.substring(5, p.length() - 1)) * 1000;
                }
            }
        }
        String prefix = e.getRequestURI().getPath().substring("/v1/kv/".length());
        String body;
        try {
            body = store.read(prefix, minIndex, waitMillis);
        } catch (InterruptedException ex) {
            e.close();
            return;
        }
        String override = indexOverride;
        answer(e, body == null ? 404 : 200, override != null ? override : Long.toString(store.index()),
                body == null ? "" : body);
    }

    private static void answer(HttpExchange e, int status, String index, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (index != null) {
            e.getResponseHeaders().add("X-Consul-Index", index);
        }
        e.getResponseHeaders().add("Content-Type", "application/json");
        e.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(b);
        }
    }

    /** Stops the agent: connections close, blocking queries in progress fail. */
    @Override
    public void close() {
        server.stop(0);
        store.wakeAll();
        pool.shutdownNow();
    }
}
