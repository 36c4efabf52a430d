package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls Patroni's REST API ({@code GET /cluster}) on any of several Patroni addresses, for applications without
 * access to the DCS.
 *
 * <p>Each poll asks the address that answered last, then the others in order. Each request is bounded as a whole
 * (connect, TLS handshake, head and body) by {@code dcsTimeout}, so a server that answers slowly is abandoned and
 * the next address is asked. When none answers, the view keeps the last topology, marked unreachable.
 * {@link #refresh()} polls at once; {@link #close()} aborts a request in progress.
 *
 * <p>TLS, basic auth and the refusal of redirects are {@link RestClient}'s.
 *
 * <p>Thread-safety: polls run on the cluster's topology thread; {@link #close()} may be called from any thread.
 */
final class PatroniRestSource extends PollingSource {
    private static final Logger log = LoggerFactory.getLogger(PatroniRestSource.class);

    private final String cluster;
    private final List<HostAndPort> addresses;
    private final RestClient client;
    private final Duration timeout;
    private final PatroniParser parser;
    private final boolean[] redirectReported;
    private int preferred;

    PatroniRestSource(String cluster, List<HostAndPort> addresses, RestClient client, AllowedHosts allowed,
            Duration timeout, Duration interval, ScheduledExecutorService executor) {
        super(executor, interval);
        this.cluster = cluster;
        this.addresses = addresses;
        this.client = client;
        this.timeout = timeout;
        this.parser = new PatroniParser(cluster, allowed);
        this.redirectReported = new boolean[addresses.size()];
    }

    @Override
    void poll(ClusterView view) {
        StringBuilder problems = new StringBuilder();
        for (int n = 0; n < addresses.size() && !isClosed(); n++) {
            int index = (preferred + n) % addresses.size();
            HostAndPort a = addresses.get(index);
            try {
                String body = client.get(a, "/cluster", timeout);
                redirectReported[index] = false;
                view.publish(parser.fromRest(body));
                preferred = index;
                return;
            } catch (IOException | RuntimeException e) {
                if (isClosed()) {
                    return;
                }
                if (e instanceof RestClient.Redirect && !redirectReported[index]) {
                    redirectReported[index] = true;
                    log.warn("pgcluster {}: Patroni REST API {}://{}: {}", cluster, client.scheme(), a,
                            e.getMessage());
                }
                if (problems.length() > 0) {
                    problems.append("; ");
                }
                problems.append(client.scheme()).append("://").append(a).append(": ")
                        .append(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
        if (!isClosed()) {
            view.sourceUnreachable("Patroni REST API " + problems);
        }
    }

    @Override
    void abortPoll() {
        client.abort();
    }

    @Override
    public String describe() {
        return "Patroni REST API " + addresses.stream().map(a -> client.scheme() + "://" + a)
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
