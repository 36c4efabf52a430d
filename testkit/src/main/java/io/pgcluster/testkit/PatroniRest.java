package io.pgcluster.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * HTTP calls to Patroni's REST API and etcd's HTTP endpoints, with timeouts. The JDK's {@link HttpClient} is used
 * because HttpURLConnection cannot send PATCH (needed for {@code PATCH /config}).
 */
final class PatroniRest {
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** Status code and body of one response. */
    static final class Response {
        final int status;
        final String body;

        Response(int status, String body) {
            this.status = status;
            this.body = body;
        }

        boolean ok() {
            return status / 100 == 2;
        }

        @Override
        public String toString() {
            return "HTTP " + status + (body.isBlank() ? "" : ": " + body.strip());
        }
    }

    Response get(String url, Duration timeout) throws IOException {
        return send("GET", url, null, timeout);
    }

    Response send(String method, String url, String jsonBody, Duration timeout) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (jsonBody == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body() == null ? "" : r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted during " + method + " " + url, e);
        }
    }
}
