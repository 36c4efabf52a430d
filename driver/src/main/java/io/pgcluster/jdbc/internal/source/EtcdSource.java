package io.pgcluster.jdbc.internal.source;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Patroni's keys in etcd v3 under {@code <namespace>/<scope>/}: one read of the prefix, then a watch from
 * the next revision, so that a leader change reaches routing as soon as etcd reports it (no polling).
 *
 * <p>A light read of the leader key every {@code pollInterval} tells whether etcd is reachable (backing off up to
 * 5 s while it is not): when it is not, the view keeps the last snapshot marked unreachable; when it is back, the
 * watch resumes from the revision after the last one applied, and the prefix is read again so that nothing
 * compacted meanwhile is missed. Several endpoints are used round-robin by jetcd.
 *
 * <p>Thread-safety: every piece of state is confined to the cluster's topology thread. jetcd's callbacks only
 * hand their data to that thread, and jetcd is never called while a lock is held, so jetcd's own locks cannot
 * take part in a deadlock.
 */
final class EtcdSource implements TopologySource {
    private static final Logger log = LoggerFactory.getLogger(EtcdSource.class);
    private static final long MAX_CHECK_BACKOFF_MILLIS = 5_000;

    private final String cluster;
    private final List<HostAndPort> endpoints;
    private final Security security;
    private final String prefix;
    private final ByteSequence prefixBytes;
    private final ByteSequence leaderKey;
    private final long timeoutMillis;
    private final long intervalMillis;
    private final ScheduledExecutorService executor;
    private final Client client;
    private final PatroniParser parser;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    // Confined to the topology thread:
    private final EtcdKeys keys = new EtcdKeys();
    private ClusterView view;
    private boolean watching;
    private boolean reachable = true;
    private int failedChecks;
    private Watch.Watcher watcher;
    private volatile boolean closed;

    /**
     * How the source reaches etcd: TLS (with the CA file, else the JVM's trust store, and an optional client
     * certificate) and etcd user credentials. {@link #toString()} never shows the password.
     *
     * @param tls whether to use {@code https://} endpoints
     * @param caFile PEM CA certificates, or {@code null}
     * @param certFile PEM client certificate, or {@code null}
     * @param keyFile PEM PKCS#8 key of {@code certFile}, or {@code null}
     * @param user etcd user, or {@code null}
     * @param password password of {@code user}, or {@code null}
     */
    record Security(boolean tls, String caFile, String certFile, String keyFile, String user, String password) {
        static final Security NONE = new Security(false, null, null, null, null, null);

        @Override
        public String toString() {
            return (tls ? "tls" + (certFile != null ? " with client certificate" : "") : "plaintext")
                    + (user != null ? ", user " + user : "");
        }
    }

    EtcdSource(String cluster, List<HostAndPort> endpoints, String namespace, String scope, Security security,
            AllowedHosts allowed, Duration timeout, Duration interval, ScheduledExecutorService executor) {
        this.cluster = cluster;
        this.endpoints = endpoints;
        this.security = security;
        String ns = namespace.endsWith("/") ? namespace : namespace + "/";
        this.prefix = ns + scope + "/";
        this.prefixBytes = bytes(prefix);
        this.leaderKey = bytes(prefix + "leader");
        this.timeoutMillis = timeout.toMillis();
        this.intervalMillis = interval.toMillis();
        this.executor = executor;
        this.parser = new PatroniParser(cluster, allowed);
        String scheme = security.tls() ? "https://" : "http://";
        ClientBuilder b = Client.builder()
                .endpoints(endpoints.stream().map(e -> scheme + e).toArray(String[]::new))
                .connectTimeout(timeout)
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(timeout)
                .keepaliveWithoutCalls(true)
                // fail a call while the channel cannot connect (refused, TLS handshake failed) instead of holding it
                // until our deadline, and end jetcd's own retries within it: the failure's reason then reaches the
                // operator instead of "no answer"; the source retries by itself (check())
                .waitForReady(false)
                .retryMaxDuration(timeout);
        if (security.tls()) {
            b.sslContext(sslContext(security));
        }
        if (security.user() != null) {
            b.user(bytes(security.user()));
            b.password(bytes(security.password() == null ? "" : security.password()));
        }
        this.client = b.build();
    }

    /**
     * gRPC's client TLS context: the server's certificate verified against {@code dcsCaFile} (else the JVM's trust
     * store), the client certificate presented when configured.
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be used
     */
    static SslContext sslContext(Security s) {
        SslContextBuilder b = GrpcSslContexts.forClient();
        if (s.caFile() != null) {
            try {
                b.trustManager(readable("dcsCaFile", s.caFile()));
            } catch (IllegalArgumentException e) {
                throw fileProblem("dcsCaFile", s.caFile(), "PEM CA certificates", e);
            }
        }
        if (s.certFile() != null) {
            File cert = readable("dcsCertFile", s.certFile());
            File key = readable("dcsKeyFile", s.keyFile());
            try {
                b.keyManager(cert, key);
            } catch (IllegalArgumentException e) {
                throw fileProblem("dcsCertFile", s.certFile() + "' and dcsKeyFile '" + s.keyFile(),
                        "a PEM certificate and its unencrypted PKCS#8 key", e);
            }
        }
        try {
            return b.build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalArgumentException("pgcluster: cannot set up TLS to etcd from dcsCaFile/dcsCertFile/"
                    + "dcsKeyFile: " + e.getMessage(), e);
        }
    }

    private static File readable(String key, String path) {
        File f = new File(path);
        if (!f.isFile() || !f.canRead()) {
            throw new IllegalArgumentException("pgcluster property '" + key + "': cannot read the file '" + path
                    + "' (" + (f.exists() ? "not a readable file" : "it does not exist") + ").");
        }
        return f;
    }

    private static IllegalArgumentException fileProblem(String key, String path, String expected,
            IllegalArgumentException e) {
        // the cause's message says what the parser found; it never contains the key material itself
        return new IllegalArgumentException("pgcluster property '" + key + "': '" + path + "' does not hold "
                + expected + ": " + e.getMessage(), e);
    }

    @Override
    public void start(ClusterView view) {
        this.view = view;
        submit(this::sync);
        executor.schedule(this::check, intervalMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void refresh() {
        if (!closed && view != null && refreshQueued.compareAndSet(false, true)) {
            if (!submit(() -> {
                refreshQueued.set(false);
                reread();
            })) {
                refreshQueued.set(false);
            }
        }
    }

    /** Reads the prefix, publishes it, and (re)starts the watch from the revision after the last one applied. */
    private void sync() {
        if (closed) {
            return;
        }
        try {
            GetResponse r = get();
            if (r.getHeader().getRevision() > keys.revision() || !watching) {
                replace(r);
            }
            startWatch(keys.revision() + 1);
            reachable = true;
            failedChecks = 0;
        } catch (Exception e) {
            unreachable(e);
        }
    }

    /** Reads the prefix again without touching the watch; events older than the read are then ignored. */
    private void reread() {
        if (closed) {
            return;
        }
        try {
            GetResponse r = get();
            if (r.getHeader().getRevision() > keys.revision()) {
                replace(r);
            }
        } catch (Exception e) {
            unreachable(e);
        }
    }

    private GetResponse get() throws Exception {
        try {
            return client.getKVClient().get(prefixBytes, GetOption.builder().isPrefix(true).build())
                    .get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    private void replace(GetResponse r) {
        Map<String, String> read = new HashMap<>();
        for (KeyValue kv : r.getKvs()) {
            read.put(relative(kv), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        keys.replace(r.getHeader().getRevision(), read);
        publish();
    }

    private void startWatch(long fromRevision) {
        stopWatch();
        if (closed) {
            return;
        }
        watcher = client.getWatchClient().watch(prefixBytes, watchOption(fromRevision),
                Watch.listener(r -> submit(() -> apply(r)), t -> submit(() -> watchFailed(t))));
        watching = true;
    }

    /**
     * A prefix watch from {@code fromRevision} that etcd cancels when the member serving it loses its leader: without
     * requireLeader, a member cut off from the others keeps the watch open and silent while the cluster moves on.
     */
    static WatchOption watchOption(long fromRevision) {
        return WatchOption.builder().isPrefix(true).withRevision(fromRevision).withRequireLeader(true).build();
    }

    private void stopWatch() {
        Watch.Watcher w = watcher;
        watcher = null;
        watching = false;
        if (w != null) {
            w.close();
        }
    }

    private void apply(WatchResponse response) {
        if (closed) {
            return;
        }
        List<EtcdKeys.Event> events = new ArrayList<>(response.getEvents().size());
        for (WatchEvent e : response.getEvents()) {
            KeyValue kv = e.getKeyValue();
            if (e.getEventType() == WatchEvent.EventType.DELETE) {
                events.add(EtcdKeys.Event.delete(relative(kv), kv.getModRevision()));
            } else if (e.getEventType() == WatchEvent.EventType.PUT) {
                events.add(EtcdKeys.Event.put(relative(kv), kv.getValue().toString(StandardCharsets.UTF_8),
                        kv.getModRevision()));
            }
        }
        boolean changed = keys.apply(events);
        if (changed || !reachable) {
            reachable = true;
            publish();
        }
    }

    /**
     * jetcd reports a broken watch stream and resumes it by itself; a compacted revision ends the watch. Either
     * way the next check re-reads the prefix and starts a fresh watch, so nothing is missed.
     */
    private void watchFailed(Throwable t) {
        if (closed) {
            return;
        }
        log.debug("pgcluster {}: etcd watch interrupted: {}", cluster, t.toString());
        if (t instanceof CompactedException) {
            sync();
        } else {
            watching = false;
        }
    }

    /** Is etcd reachable? Resumes the watch after an outage; backs off while etcd stays down. */
    private void check() {
        if (closed) {
            return;
        }
        try {
            client.getKVClient().get(leaderKey, GetOption.builder().withCountOnly(true).build())
                    .get(timeoutMillis, TimeUnit.MILLISECONDS);
            if (!reachable || !watching) {
                log.info("pgcluster {}: etcd answers; resuming the watch from revision {}", cluster,
                        keys.revision() + 1);
                sync();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            unreachable(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
        }
        long delay = reachable ? intervalMillis
                : Math.min(MAX_CHECK_BACKOFF_MILLIS, intervalMillis << Math.min(failedChecks, 6));
        try {
            executor.schedule(this::check, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void unreachable(Throwable e) {
        if (closed) {
            return;
        }
        reachable = false;
        failedChecks++;
        String problem = "etcd " + endpoints + ": " + explain(e);
        if (isRefusal(e)) {
            view.sourceRefused(problem);
        } else {
            view.sourceUnreachable(problem);
        }
    }

    /** Whether etcd answered and refused us (login, permission, TLS trust): a configuration problem, not an outage. */
    boolean isRefusal(Throwable e) {
        String all = chain(e);
        return all.contains("authentication failed") || all.contains("user name is empty")
                || all.contains("permission denied") || security.tls() && all.contains("PKIX");
    }

    private static String chain(Throwable e) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null && chain.length() < 2000; t = t.getCause() == t ? null : t.getCause()) {
            chain.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" / ");
        }
        return chain.toString();
    }

    /**
     * What went wrong, in the operator's terms: a refused login or permission names the settings to fix, a TLS
     * mismatch names dcsTls. jetcd's and gRPC's messages never carry the password.
     */
    String explain(Throwable e) {
        if (e instanceof TimeoutException) {
            return "no answer within " + timeoutMillis + " ms";
        }
        String all = chain(e);
        String first = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (all.contains("authentication failed")
                || security.user() != null && all.contains("user name is empty")) {
            // the second is etcd's answer to a call without a token: with a user configured, its login failed
            return "etcd refused user '" + security.user() + "' (authentication failed, invalid user ID or "
                    + "password): check dcsUser and dcsPassword";
        }
        if (all.contains("user name is empty")) {
            return "etcd has authentication enabled and no user was given: set dcsUser and dcsPassword (or, with "
                    + "dcsTls, a client certificate whose common name is an etcd user)";
        }
        if (all.contains("permission denied")) {
            return "etcd denied " + (security.user() != null ? "user '" + security.user() + "'"
                    : "the client certificate's user") + " reading " + prefix + ": grant its role read permission "
                    + "on that prefix (etcdctl role grant-permission ROLE --prefix=true read " + prefix + ")";
        }
        if (security.tls() && (all.contains("SSL") || all.contains("TLS") || all.contains("certificate"))) {
            return "TLS with etcd failed (" + first + "): check that etcd serves TLS on " + endpoints
                    + ", that dcsCaFile holds the CA that signed its certificate (which must name the host "
                    + "connected to), and, if etcd requires client certificates, dcsCertFile and dcsKeyFile";
        }
        if (!security.tls() && plaintextRefused(all)) {
            return "etcd closed the connection (" + first + "); if it serves TLS (https), set dcsTls=true and "
                    + "dcsCaFile";
        }
        return first;
    }

    /** How a TLS-only etcd answers a plaintext HTTP/2 client: it drops the connection during the preface. */
    private static boolean plaintextRefused(String chain) {
        return chain.contains("Network closed for unknown reason") || chain.contains("Connection reset")
                || chain.contains("first received frame was not SETTINGS") || chain.contains("HTTP/1.")
                || chain.contains("Client sent an HTTP request to an HTTPS server");
    }

    private void publish() {
        view.publish(parser.fromDcs(keys.keys()));
    }

    private boolean submit(Runnable task) {
        return !closed && Tasks.submit(executor, task);
    }

    private String relative(KeyValue kv) {
        String k = kv.getKey().toString(StandardCharsets.UTF_8);
        return k.startsWith(prefix) ? k.substring(prefix.length()) : k;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public String describe() {
        return "etcd " + endpoints + " " + prefix + (security.tls() || security.user() != null
                ? " (" + security + ")" : "");
    }

    /**
     * Stops the watch (on the topology thread, after any task in progress) and closes the jetcd client, which ends
     * jetcd's threads shortly after.
     */
    @Override
    public void close() {
        closed = true;
        Tasks.runOn(executor, this::stopWatch, timeoutMillis + 1000);
        client.close();
    }
}
