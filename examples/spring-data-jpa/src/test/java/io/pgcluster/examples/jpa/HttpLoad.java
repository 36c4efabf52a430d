package io.pgcluster.examples.jpa;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP clients of the notes application, as browsers would be: writers post the form, follow the 303 and check that
 * the page shows their note; readers list notes and summaries. Every request is recorded with the phase of the test
 * it started in.
 */
final class HttpLoad implements AutoCloseable {
    /** What a request did. */
    enum Kind {
        WRITE, READ_AFTER_WRITE, READ_LIST, READ_SUMMARY;

        boolean isRead() {
            return this != WRITE;
        }
    }

    /**
     * One request. {@code status} is -1 when the client got no answer (timeout, refused).
     * {@code ownRowFound} is meaningful for {@link Kind#READ_AFTER_WRITE} only; {@code position} tells whether the
     * answer carried {@link PositionHeaderFilter#HEADER}.
     */
    record Request(String phase, Kind kind, String path, int status, long startNanos, long endNanos,
            boolean ownRowFound, boolean position, String error) {
        long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }

        boolean failed() {
            return status < 0 || status >= 500;
        }
    }

    /** Longer than any wait the application may do (failoverTimeout 30 s), so a hang shows as a long duration. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(45);
    private static final Duration THINK_TIME = Duration.ofMillis(15);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final String base;
    private final int writers;
    private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger noteNumber = new AtomicInteger();
    private volatile String phase = "warm-up";
    private volatile boolean running = true;

    HttpLoad(String base, int writers, int readers) {
        this.base = base;
        this.writers = writers;
        for (int i = 0; i < writers; i++) {
            String owner = "writer-" + i;
            start(owner, () -> writeThenRead(owner));
        }
        for (int i = 0; i < readers; i++) {
            start("reader-" + i, this::read);
        }
    }

    private void start(String name, Runnable step) {
        Thread t = new Thread(() -> loop(step), name);
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    void phase(String name) {
        phase = name;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void loop(Runnable step) {
        while (running) {
            step.run();
            try {
                Thread.sleep(THINK_TIME.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void writeThenRead(String owner) {
        String text = owner + " note " + noteNumber.incrementAndGet();
        String form = "owner=" + enc(owner) + "&text=" + enc(text);
        HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/notes")).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        Answer created = send(post, Kind.WRITE, null);
        if (created.status != 303) {
            return;
        }
        String location = created.response.headers().firstValue("Location").orElseThrow();
        HttpRequest.Builder get = HttpRequest.newBuilder(URI.create(base).resolve(location)).timeout(REQUEST_TIMEOUT)
                .GET();
        // As a client in another service would: hand the position of the write on to the read.
        created.response.headers().firstValue(PositionHeaderFilter.HEADER)
                .ifPresent(p -> get.header(PositionHeaderFilter.HEADER, p));
        send(get.build(), Kind.READ_AFTER_WRITE, text);
    }

    private void read() {
        String owner = "writer-" + ThreadLocalRandom.current().nextInt(writers);
        boolean list = ThreadLocalRandom.current().nextBoolean();
        String path = (list ? "/notes?owner=" : "/notes/summary?owner=") + enc(owner);
        send(HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT).GET().build(),
                list ? Kind.READ_LIST : Kind.READ_SUMMARY, null);
    }

    private record Answer(int status, HttpResponse<String> response) {}

    private Answer send(HttpRequest request, Kind kind, String expectedText) {
        String startPhase = phase;
        long start = System.nanoTime();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            boolean found = expectedText != null && r.statusCode() == 200
                    && r.body().contains("\"text\":\"" + expectedText + "\"");
            requests.add(new Request(startPhase, kind, request.uri().getPath(), r.statusCode(), start,
                    System.nanoTime(), found, r.headers().firstValue(PositionHeaderFilter.HEADER).isPresent(),
                    r.statusCode() >= 400 ? r.body() : null));
            return new Answer(r.statusCode(), r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, null);
        } catch (Exception e) {
            requests.add(new Request(startPhase, kind, request.uri().getPath(), -1, start, System.nanoTime(), false,
                    false, e.toString()));
            return new Answer(-1, null);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Stops the clients after their request in flight (at most {@link #REQUEST_TIMEOUT}). */
    @Override
    public void close() {
        running = false;
        try {
            for (Thread t : threads) {
                t.join(REQUEST_TIMEOUT.plusSeconds(5).toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
