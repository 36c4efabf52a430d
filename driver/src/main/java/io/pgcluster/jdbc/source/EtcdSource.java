package io.pgcluster.jdbc.source;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
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
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Patroni's keys in etcd v3 under {@code <namespace>/<scope>/}: one read of the prefix, then a watch from
 * the next revision, so that a leader change reaches routing as soon as etcd reports it (no polling).
 *
 * <p>Watch events are applied on jetcd's callback thread to a copy of the keys, and every batch publishes a new
 * snapshot. A light read of the leader key every {@code pollInterval} tells whether etcd is reachable: when it
 * is not, the view keeps the last snapshot marked unreachable; when it is back, the watch resumes from the last
 * revision applied (or, if etcd compacted that revision meanwhile, the prefix is read afresh).
 *
 * <p>Thread-safety: key state is guarded by this object's lock; checks and reconnects run on the topology thread.
 */
final class EtcdSource implements TopologySource {
    private static final Logger log = LoggerFactory.getLogger(EtcdSource.class);

    private final String cluster;
    private final List<HostAndPort> endpoints;
    private final String prefix;
    private final ByteSequence prefixBytes;
    private final ByteSequence leaderKey;
    private final long timeoutMillis;
    private final Duration interval;
    private final ScheduledExecutorService executor;
    private final Client client;
    private final PatroniParser parser;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final Map<String, String> keys = new HashMap<>();
    private ClusterView view;
    private long revision;
    private boolean synced;
    private Watch.Watcher watcher;
    private volatile boolean reachable = true;
    private volatile boolean closed;
    private ScheduledFuture<?> checker;

    EtcdSource(String cluster, List<HostAndPort> endpoints, String namespace, String scope, String user,
            String password, Duration timeout, Duration interval, ScheduledExecutorService executor) {
        this.cluster = cluster;
        this.endpoints = endpoints;
        String ns = namespace.endsWith("/") ? namespace : namespace + "/";
        this.prefix = ns + scope + "/";
        this.prefixBytes = bytes(prefix);
        this.leaderKey = bytes(prefix + "leader");
        this.timeoutMillis = timeout.toMillis();
        this.interval = interval;
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
        executor.execute(this::sync);
        checker = executor.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void refresh() {
        if (closed || view == null || !refreshQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                refreshQueued.set(false);
                reread();
            });
        } catch (RejectedExecutionException e) {
            refreshQueued.set(false);
        }
    }

    /** Reads the prefix again without touching the watch; events older than the read are then ignored. */
    private void reread() {
        if (closed) {
            return;
        }
        try {
            GetResponse r = get();
            synchronized (this) {
                if (r.getHeader().getRevision() > revision) {
                    replace(r);
                }
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
        if (watcher != null) {
            watcher.close();
        }
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(fromRevision).build();
        watcher = client.getWatchClient().watch(prefixBytes, option,
                Watch.listener(this::onEvents, this::onWatchError));
    }

    private synchronized void onEvents(WatchResponse response) {
        if (closed) {
            return;
        }
        boolean changed = false;
        for (WatchEvent e : response.getEvents()) {
            KeyValue kv = e.getKeyValue();
            if (kv.getModRevision() <= revision) {
                continue; // already part of a later read
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
        if (changed) {
            publish();
        }
    }

    private void onWatchError(Throwable t) {
        if (closed) {
            return;
        }
        log.debug("pgcluster {}: etcd watch ended: {}", cluster, t.toString());
        synchronized (this) {
            synced = false;
        }
        unreachable(t);
    }

    /** Periodic check: is etcd reachable? Resumes the watch after an outage. */
    private void check() {
        if (closed) {
            return;
        }
        try {
            client.getKVClient().get(leaderKey, GetOption.builder().withCountOnly(true).build())
                    .get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            unreachable(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
            return;
        }
        boolean resume;
        synchronized (this) {
            resume = !reachable || !synced;
        }
        if (resume) {
            log.info("pgcluster {}: etcd reachable again; resuming the watch from revision {}", cluster, revision + 1);
            sync();
        }
    }

    /**
     * Reads the prefix and (re)starts the watch from the revision after the last one applied: the watch resumes
     * where it stopped, and the read covers anything etcd may have compacted meanwhile.
     */
    private void sync() {
        if (closed) {
            return;
        }
        try {
            GetResponse r = get();
            synchronized (this) {
                if (r.getHeader().getRevision() > revision) {
                    replace(r);
                } else {
                    publish();
                }
                startWatch(revision + 1);
                synced = true;
            }
            reachable = true;
        } catch (Exception e) {
            unreachable(e);
        }
    }

    private void unreachable(Throwable e) {
        if (closed) {
            return;
        }
        reachable = false;
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        view.sourceUnreachable("etcd " + endpoints + ": " + why);
    }

    private void publish() {
        view.publish(parser.fromDcs(keys));
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

    @Override
    public void close() {
        closed = true;
        if (checker != null) {
            checker.cancel(false);
        }
        synchronized (this) {
            if (watcher != null) {
                watcher.close();
                watcher = null;
            }
        }
        client.close();
    }
}
