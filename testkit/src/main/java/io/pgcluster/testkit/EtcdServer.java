package io.pgcluster.testkit;

import java.time.Duration;

/**
 * The single-member etcd (v3 API) that serves as Patroni's DCS. {@link #stop()} and {@link #start()} simulate a DCS
 * outage; the restart keeps the same port and data directory, so Patroni reconnects to the same keys.
 *
 * <p>Thread-safe: stop and start are serialized.
 *
 * <pre>{@code
 * cluster.etcd().stop();    // Patroni loses its DCS: the primary demotes itself after retry_timeout
 * cluster.etcd().start();   // Patroni reconnects and elects a leader again
 * cluster.awaitHealthy(Duration.ofSeconds(60));
 * }</pre>
 */
public final class EtcdServer extends DcsServer {
    private final PatroniRest http;

    EtcdServer(ManagedProcess process, int clientPort, PatroniRest http) {
        super("etcd", process, clientPort);
        this.http = http;
    }

    /**
     * The direct client URL, {@code http://127.0.0.1:<clientPort>} (Patroni uses this one; for a URL that goes through
     * a fault proxy see {@link PatroniCluster#etcdClientEndpoint()}).
     *
     * @return the client URL
     */
    public String endpoint() {
        return "http://" + PatroniCluster.HOST + ":" + clientPort;
    }

    @Override
    void awaitHealthy() {
        Await.until("etcd " + endpoint() + "/health to answer {\"health\":\"true\"}", START_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new Await.Abort("etcd exited; log tail:\n" + process.tail(30));
            }
            PatroniRest.Response r = http.get(endpoint() + "/health", Duration.ofSeconds(2));
            if (!r.ok() || !r.body.contains("true")) {
                throw new Await.NotYet("GET /health: " + r);
            }
            return Boolean.TRUE;
        });
    }

    @Override
    String address() {
        return endpoint();
    }
}
