package io.pgcluster.jdbc.source;

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
import io.pgcluster.jdbc.config.HostAndPort;
import io.pgcluster.jdbc.topology.ClusterView;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private final Map<String, String> keys = new HashMap<>();
    private ClusterView view;
    private long revision;
    private boolean watching;
    private boolean reachable = true;
    private int failedChecks;
    private Watch.Watcher watcher;
    private volatile boolean closed;

    EtcdSource(String cluster, List<HostAndPort> endpoints, String namespace, String scope, String user,
            String password, Duration timeout, Duration interval, ScheduledExecutorService executor) {
        this.cluster = cluster;
        this.endpoints = endpoints;
        String ns = namespace.endsWith("/") ? namespace : namespace + "/";
        this.prefix = ns + scope + "/";
        this.prefixBytes = bytes(prefix);
        this.leaderKey = bytes(prefix + "leader");
        this.timeoutMillis = timeout.toMillis();
        this.intervalMillis = interval.toMillis();
        this.executor = executor;
        this.parser = new PatroniParser(cluster);
        ClientBuilder b = Client.builder()
                .endpoints(endpoints.stream().map(e -> "http://" + e).toArray(String[]::new))
                .connectTimeout(timeout)
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(timeout)
                .keepaliveWithoutCalls(true);
        if (user != null) {
            b.user(bytes(user));
            b.password(bytes(password == null ? "" : password));
        }
        this.client = b.build();
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
            if (r.getHeader().getRevision() > revision || !watching) {
                replace(r);
            }
            startWatch(revision + 1);
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
            if (r.getHeader().getRevision() > revision) {
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
        keys.clear();
        for (KeyValue kv : r.getKvs()) {
            keys.put(relative(kv), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        revision = r.getHeader().getRevision();
        publish();
    }

    private void startWatch(long fromRevision) {
        stopWatch();
        if (closed) {
            return;
        }
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(fromRevision).build();
        watcher = client.getWatchClient().watch(prefixBytes, option,
                Watch.listener(r -> submit(() -> apply(r)), t -> submit(() -> watchFailed(t))));
        watching = true;
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
        boolean changed = false;
        for (WatchEvent e : response.getEvents()) {
            KeyValue kv = e.getKeyValue();
            if (kv.getModRevision() <= revision) {
                continue; // already applied, by a read or an earlier delivery after a reconnect
            }
            String key = relative(kv);
            if (e.getEventType() == WatchEvent.EventType.DELETE) {
                changed |= keys.remove(key) != null;
            } else if (e.getEventType() == WatchEvent.EventType.PUT) {
                keys.put(key, kv.getValue().toString(StandardCharsets.UTF_8));
                changed = true;
            }
            revision = Math.max(revision, kv.getModRevision());
        }
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
                log.info("pgcluster {}: etcd answers; resuming the watch from revision {}", cluster, revision + 1);
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
        String why = e instanceof TimeoutException ? "no answer within " + timeoutMillis + " ms"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        view.sourceUnreachable("etcd " + endpoints + ": " + why);
    }

    private void publish() {
        view.publish(parser.fromDcs(keys));
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
        return "etcd " + endpoints + " " + prefix;
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
