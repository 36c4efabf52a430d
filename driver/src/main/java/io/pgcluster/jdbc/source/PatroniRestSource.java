package io.pgcluster.jdbc.source;

import io.pgcluster.jdbc.config.HostAndPort;
import io.pgcluster.jdbc.topology.ClusterView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Polls Patroni's REST API ({@code GET /cluster}) on any of several Patroni addresses, for applications without
 * access to the DCS.
 *
 * <p>Each poll asks the address that answered last, then the others in order. When none answers, the view keeps
 * the last topology, marked unreachable. {@link #refresh()} polls at once.
 *
 * <p>Thread-safety: polls run on the cluster's topology thread.
 */
final class PatroniRestSource extends PollingSource {
    private static final int MAX_BODY = 1 << 20;

    private final List<HostAndPort> addresses;
    private final int timeoutMillis;
    private final PatroniParser parser;
    private int preferred;

    PatroniRestSource(String cluster, List<HostAndPort> addresses, Duration timeout, Duration interval,
            ScheduledExecutorService executor) {
        super(executor, interval);
        this.addresses = addresses;
        this.timeoutMillis = (int) timeout.toMillis();
        this.parser = new PatroniParser(cluster);
    }

    @Override
    void poll(ClusterView view) {
        StringBuilder problems = new StringBuilder();
        for (int n = 0; n < addresses.size(); n++) {
            int index = (preferred + n) % addresses.size();
            HostAndPort a = addresses.get(index);
            try {
                String body = get(a);
                view.publish(parser.fromRest(body));
                preferred = index;
                return;
            } catch (IOException | RuntimeException e) {
                if (problems.length() > 0) {
                    problems.append("; ");
                }
                problems.append(a).append(": ").append(e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage());
            }
        }
        view.sourceUnreachable("Patroni REST API " + problems);
    }

    private String get(HostAndPort a) throws IOException {
        URL url = new URL("http", a.host(), a.port(), "/cluster");
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        c.setConnectTimeout(timeoutMillis);
        c.setReadTimeout(timeoutMillis);
        c.setRequestProperty("Accept", "application/json");
        try {
            int code = c.getResponseCode();
            if (code != 200) {
                throw new IOException("GET /cluster answered HTTP " + code);
            }
            try (InputStream in = c.getInputStream()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                int r;
                while ((r = in.read(buf)) > 0) {
                    out.write(buf, 0, r);
                    if (out.size() > MAX_BODY) {
                        throw new IOException("GET /cluster answered more than 1 MiB");
                    }
                }
                return out.toString(StandardCharsets.UTF_8);
            }
        } finally {
            c.disconnect();
        }
    }

    @Override
    public String describe() {
        return "Patroni REST API " + addresses;
    }
}
