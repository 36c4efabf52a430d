package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The single-member etcd (v3 API) that serves as Patroni's DCS. {@link #stop()} and {@link #start()} simulate a DCS
 * outage; the restart keeps the same port and data directory, so Patroni reconnects to the same keys.
 *
 * <p>Built with {@code etcdTls}/{@code etcdAuth} (see {@link PatroniClusterBuilder#etcdTls(boolean)}), it serves
 * {@code https://} with client certificates and/or has etcd's authentication enabled; {@link #caFile()},
 * {@link #clientCertificate()}, {@link #clientUser()} and {@link #clientPassword()} tell clients how to connect.
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
    private final EtcdSecurity security; // null: plaintext, no auth
    private final Path etcdctl;

    EtcdServer(ManagedProcess process, int clientPort, PatroniRest http, EtcdSecurity security, Path etcdctl) {
        super("etcd", process, clientPort);
        this.http = http;
        this.security = security;
        this.etcdctl = etcdctl;
    }

    /**
     * The direct client URL, {@code http(s)://127.0.0.1:<clientPort>} (Patroni uses this one; for a URL that goes
     * through a fault proxy see {@link PatroniCluster#etcdClientEndpoint()}).
     *
     * @return the client URL
     */
    public String endpoint() {
        return scheme() + PatroniCluster.HOST + ":" + clientPort;
    }

    String scheme() {
        return tls() ? "https://" : "http://";
    }

    /**
     * Whether etcd serves TLS (with client certificates required).
     *
     * @return true if built with {@code etcdTls(true)}
     */
    public boolean tls() {
        return security != null && security.tls;
    }

    /**
     * The CA certificate (PEM) that signs etcd's certificate and the client certificates.
     *
     * @return the CA file
     * @throws IllegalStateException without TLS
     */
    public Path caFile() {
        return requireTls().ca.caFile();
    }

    /**
     * A client certificate (PEM, unencrypted PKCS#8 key) whose CN is {@link #clientUser()}: with auth enabled, etcd
     * takes it for that user when no password is sent.
     *
     * @return the certificate and key
     * @throws IllegalStateException without TLS
     */
    public Certificates.Issued clientCertificate() {
        return requireTls().client;
    }

    /**
     * A client certificate without a common name: it passes etcd's TLS check but names no user, so with auth
     * enabled only a user/password login gives the client an identity.
     *
     * @return the certificate and key
     * @throws IllegalStateException without TLS
     */
    public Certificates.Issued clientCertificateWithoutUser() {
        return requireTls().anonymous;
    }

    /**
     * The etcd user for clients under test; it may read the cluster's prefix.
     *
     * @return {@code pgcluster}
     * @throws IllegalStateException without auth
     */
    public String clientUser() {
        requireAuth();
        return EtcdSecurity.CLIENT_USER;
    }

    /**
     * The password of {@link #clientUser()}.
     *
     * @return the password
     * @throws IllegalStateException without auth
     */
    public String clientPassword() {
        return requireAuth().clientPassword;
    }

    private EtcdSecurity requireTls() {
        if (!tls()) {
            throw new IllegalStateException("etcd serves plain http: build the cluster with etcdTls(true)");
        }
        return security;
    }

    private EtcdSecurity requireAuth() {
        if (security == null || !security.auth) {
            throw new IllegalStateException("etcd runs without auth: build the cluster with etcdAuth(true)");
        }
        return security;
    }

    /** Creates etcd's users and roles and enables auth (once, on the first start, before Patroni starts). */
    void enableAuth(String prefix) {
        requireAuth();
        for (List<String> command : security.enableAuthCommands(prefix)) {
            etcdctl(command, false);
        }
    }

    /**
     * Runs etcdctl against this server (as root once auth is enabled) and returns its output.
     *
     * @throws TestkitException if it fails
     */
    String etcdctl(List<String> args, boolean asRoot) {
        List<String> command = new ArrayList<>(List.of(etcdctl.toString()));
        command.addAll(security != null ? security.etcdctlOptions(endpoint(), asRoot)
                : List.of("--endpoints=" + endpoint(), "--dial-timeout=3s", "--command-timeout=5s"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("ETCDCTL_API", "3");
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TestkitException("etcdctl " + args + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new TestkitException("etcdctl " + args + " failed (" + p.exitValue() + "): " + out);
            }
            return out;
        } catch (IOException e) {
            throw new TestkitException("Cannot run " + etcdctl + " (apt-get install etcd-client): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while running etcdctl " + args, e);
        }
    }

    @Override
    void awaitHealthy() {
        String what = tls() ? "etcdctl endpoint health" : "/health to answer {\"health\":\"true\"}";
        Await.until("etcd " + endpoint() + " " + what, START_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new Await.Abort("etcd exited; log tail:\n" + process.tail(30));
            }
            if (tls()) {
                // /health needs a client certificate now; etcdctl has one (a permission error counts as healthy)
                try {
                    etcdctl(List.of("endpoint", "health"), false);
                } catch (TestkitException e) {
                    throw new Await.NotYet(e.getMessage());
                }
                return Boolean.TRUE;
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
        return endpoint() + (security == null ? "" : " (" + security + ")");
    }
}
