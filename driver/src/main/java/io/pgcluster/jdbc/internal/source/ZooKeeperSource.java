package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Patroni's znodes in ZooKeeper under {@code <namespace>/<scope>}: one persistent recursive watch on that
 * path (ZooKeeper 3.6 or newer), then one read of the tree, so that a leader change reaches routing as soon as
 * ZooKeeper reports it (no polling). A watch event carries no data: the znode it names is read again. A member
 * znode's deletion is confirmed by a second read {@value #MEMBER_GONE_CONFIRM_MILLIS} ms later, because Patroni
 * replaces member znodes by deleting and creating them.
 *
 * <p>Connection states: on {@code Disconnected} the view keeps the last snapshot marked unreachable while the client
 * reconnects by itself (trying every server of the connect string); on {@code SyncConnected} the watch is added
 * again and the whole tree is read again, since changes made while disconnected raise no event. On
 * {@code Expired} the session is gone: a new client is created, and the same happens once it connects. A check every
 * {@code pollInterval} (no network call while all is well) repeats a read that failed while the client stayed
 * connected, and marks the view unreachable when no connection has been made for {@code dcsTimeout}.
 *
 * <p>Security: with {@code dcsUser}/{@code dcsPassword} every new client (the first, and the one opened after a
 * session expiry) adds digest credentials before it connects, and ZooKeeper sends them again on every reconnection
 * of the session. ZooKeeper accepts any digest password at login and only refuses reads the znodes' ACL does not
 * grant ({@code NoAuth}): that is reported naming dcsUser/dcsPassword, never as an empty topology. SASL is off in
 * the client's own configuration (no JAAS lookup by accident). TLS ({@link ZooKeeperTls}) goes through the client's
 * own configuration too, never through system properties; when no TLS connection can be made within dcsTimeout, a
 * TLS handshake tried by the source itself tells why (untrusted certificate, wrong host name).
 *
 * <p>Thread-safety: every piece of state is confined to the cluster's topology thread. The watcher runs on
 * ZooKeeper's event thread and only hands work to the topology thread; ZooKeeper is never called while a lock is
 * held. ZooKeeper's own two threads (send and event) are named {@code zookeeper-<cluster>-SendThread(...)} and
 * {@code zookeeper-<cluster>-EventThread}; they end when the source is closed.
 */
final class ZooKeeperSource implements TopologySource {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperSource.class);
    private static final int MAX_DEPTH = 3; // <scope>/members/<name>, <scope>/optime/leader
    /**
     * Patroni replaces a member's znode (delete, then create) when its session or some of its data changes, as
     * around a switchover; read one event at a time, the member would vanish from the topology for a moment, and
     * with it the leader. A member znode's deletion is believed once the znode is still gone this long after.
     */
    private static final long MEMBER_GONE_CONFIRM_MILLIS = 500;

    private final String cluster;
    private final List<HostAndPort> servers;
    private final String connectString;
    private final String root;
    private final String prefix;
    private final long timeoutMillis;
    private final long intervalMillis;
    private final int sessionTimeoutMillis;
    private final ScheduledExecutorService executor;
    private final PatroniParser parser;
    private final String user; // digest user, or null
    private final String password; // never logged
    private final ZooKeeperTls tls; // null without dcsTls
    private final Watcher watcher = this::onEvent;
    /** Znodes named by watch events and not read yet; filled on ZooKeeper's event thread. */
    private final Set<String> changed = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    // Confined to the topology thread:
    private final Map<String, String> keys = new HashMap<>();
    /** Member znodes seen deleted once and to be read again before they are dropped. */
    private final Set<String> goneOnce = new HashSet<>();
    private ClusterView view;
    private ZooKeeper zk;
    private boolean synced;
    private long notConnectedSince;
    private ZKClientConfig clientConfig;
    /** Whether the handshake that explains a missing TLS connection was tried since the last connection. */
    private boolean probed;
    private volatile boolean closed;

    ZooKeeperSource(String cluster, List<HostAndPort> servers, String namespace, String scope, Duration timeout,
            Duration interval, ScheduledExecutorService executor) {
        this(cluster, servers, namespace, scope, null, null, null, AllowedHosts.ANY, timeout, interval, executor);
    }

    /**
     * @param user digest user ({@code dcsUser}), or {@code null}
     * @param password its password ({@code dcsPassword}), or {@code null}
     * @param tls TLS settings ({@code dcsTls}), or {@code null} for a plain connection
     */
    ZooKeeperSource(String cluster, List<HostAndPort> servers, String namespace, String scope, String user,
            String password, ZooKeeperTls tls, AllowedHosts allowed, Duration timeout, Duration interval,
            ScheduledExecutorService executor) {
        this.user = user;
        this.password = password;
        this.tls = tls;
        this.cluster = cluster;
        this.servers = servers;
        this.connectString = servers.stream().map(HostAndPort::toString).collect(Collectors.joining(","));
        String ns = namespace.endsWith("/") ? namespace : namespace + "/";
        this.root = ns + scope;
        this.prefix = root + "/";
        this.timeoutMillis = timeout.toMillis();
        this.intervalMillis = interval.toMillis();
        // The client reports a silent server after 2/3 of the session timeout; the server may clamp the value.
        this.sessionTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(4_000, 3 * timeoutMillis));
        this.executor = executor;
        this.parser = new PatroniParser(cluster, allowed);
    }

    @Override
    public void start(ClusterView view) {
        this.view = view;
        submit(this::connect);
        schedule(this::check, intervalMillis);
    }

    @Override
    public void refresh() {
        if (!closed && view != null && refreshQueued.compareAndSet(false, true)) {
            if (!submit(() -> {
                refreshQueued.set(false);
                if (synced) {
                    sync();
                }
            })) {
                refreshQueued.set(false);
            }
        }
    }

    /** Creates a client; its threads take their names from the calling thread, hence the brief rename. */
    private void connect() {
        if (closed) {
            return;
        }
        // Every setting that matters is set here, so that JVM-wide zookeeper.* system properties change nothing.
        ZKClientConfig config = new ZKClientConfig();
        config.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
        config.setProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, Long.toString(timeoutMillis));
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "false");
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNIO");
        if (tls != null) {
            try {
                tls.apply(config);
            } catch (IllegalStateException e) {
                zk = null;
                view.sourceUnreachable("ZooKeeper " + servers + ": " + e.getMessage());
                return; // the next check tries again (a file may appear or be fixed)
            }
        }
        clientConfig = config;
        Thread self = Thread.currentThread();
        String name = self.getName();
        self.setName("zookeeper-" + cluster);
        try {
            ZooKeeper z = new ZooKeeper(connectString, sessionTimeoutMillis, watcher, false, config);
            if (user != null) {
                // Kept by the client for this session: sent on connecting and again on every reconnection.
                z.addAuthInfo("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8));
            }
            zk = z;
        } catch (IOException | RuntimeException e) {
            zk = null;
            unreachable(e);
        } finally {
            self.setName(name);
        }
        synced = false;
        probed = false;
        notConnectedSince = System.nanoTime();
    }

    /** Called on ZooKeeper's event thread: hands the event to the topology thread and returns at once. */
    private void onEvent(WatchedEvent e) {
        if (closed) {
            return;
        }
        switch (e.getType()) {
            case None:
                Watcher.Event.KeeperState state = e.getState();
                submit(() -> stateChanged(state));
                break;
            case NodeCreated:
            case NodeDataChanged:
            case NodeDeleted:
                if (e.getPath() != null) {
                    changed.add(e.getPath());
                    if (drainQueued.compareAndSet(false, true) && !submit(this::drain)) {
                        drainQueued.set(false);
                    }
                }
                break;
            case PersistentWatchRemoved:
                submit(() -> synced = false); // the next check adds it again and reads everything
                break;
            default:
                break; // child and one-time watch events: not used
        }
    }

    private void stateChanged(Watcher.Event.KeeperState state) {
        if (closed || zk == null) {
            return;
        }
        switch (state) {
            case SyncConnected:
            case ConnectedReadOnly:
                log.debug("pgcluster {}: connected to ZooKeeper {}", cluster, connectString);
                probed = false;
                sync();
                break;
            case Disconnected:
                synced = false;
                notConnectedSince = System.nanoTime();
                view.sourceUnreachable("ZooKeeper " + servers + ": disconnected; reconnecting");
                break;
            case Expired:
                log.info("pgcluster {}: ZooKeeper session expired; opening a new one", cluster);
                view.sourceUnreachable("ZooKeeper " + servers + ": session expired; reconnecting");
                closeClient();
                connect();
                break;
            case AuthFailed:
                view.sourceRefused("ZooKeeper " + servers + ": authentication failed"
                        + (user != null ? " for dcsUser '" + user + "' (check dcsUser and dcsPassword)" : ""));
                break;
            default:
                break;
        }
    }

    /** Adds the watch (again), reads the whole tree and publishes it. */
    private void sync() {
        ZooKeeper z = zk;
        if (closed || z == null) {
            return;
        }
        try {
            z.addWatch(root, watcher, AddWatchMode.PERSISTENT_RECURSIVE);
            changed.clear(); // the read below sees them
            Map<String, String> fresh = new HashMap<>();
            read(z, root, "", 0, fresh);
            keys.clear();
            goneOnce.clear();
            keys.putAll(fresh);
            synced = true;
            publish();
        } catch (KeeperException | RuntimeException e) {
            synced = false;
            unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void read(ZooKeeper z, String path, String relative, int depth, Map<String, String> into)
            throws KeeperException, InterruptedException {
        List<String> children;
        try {
            children = z.getChildren(path, false);
        } catch (KeeperException.NoNodeException e) {
            return; // no cluster of that scope (yet), or a znode deleted while reading
        }
        for (String child : children) {
            String p = path + "/" + child;
            String rel = relative.isEmpty() ? child : relative + "/" + child;
            Stat stat = new Stat();
            byte[] data;
            try {
                data = z.getData(p, false, stat);
            } catch (KeeperException.NoNodeException e) {
                continue;
            }
            if (data != null) {
                into.put(rel, new String(data, StandardCharsets.UTF_8));
            }
            if (stat.getNumChildren() > 0 && depth + 1 < MAX_DEPTH) {
                read(z, p, rel, depth + 1, into);
            }
        }
    }

    /** Reads the znodes named by watch events since the last drain; publishes if anything changed. */
    private void drain() {
        drainQueued.set(false);
        ZooKeeper z = zk;
        if (closed || z == null || !synced) {
            return; // a full read follows the (re)connection
        }
        boolean any = false;
        try {
            for (Iterator<String> it = changed.iterator(); it.hasNext();) {
                String path = it.next();
                it.remove();
                if (!path.startsWith(prefix)) {
                    continue;
                }
                String rel = path.substring(prefix.length());
                String value;
                try {
                    byte[] data = z.getData(path, false, null);
                    value = data == null ? null : new String(data, StandardCharsets.UTF_8);
                } catch (KeeperException.NoNodeException e) {
                    value = null;
                }
                if (value == null && rel.startsWith("members/") && keys.containsKey(rel) && goneOnce.add(rel)) {
                    schedule(() -> {
                        changed.add(path);
                        drain();
                    }, MEMBER_GONE_CONFIRM_MILLIS);
                    continue;
                }
                goneOnce.remove(rel);
                String old = value == null ? keys.remove(rel) : keys.put(rel, value);
                any |= !Objects.equals(old, value);
            }
        } catch (KeeperException | RuntimeException e) {
            synced = false; // the next check reads everything again
            unreachable(e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (any) {
            publish();
        }
    }

    /**
     * Every {@code pollInterval}, without network calls while all is well: reads again after a failed read, opens a
     * new client if the last could not be created, and reports a connection not made within {@code dcsTimeout}.
     */
    private void check() {
        if (closed) {
            return;
        }
        ZooKeeper z = zk;
        if (z == null) {
            connect();
        } else if (z.getState().isConnected()) {
            if (!synced) {
                sync();
            }
        } else if (!z.getState().isAlive()) {
            closeClient();
            connect();
        } else if (System.nanoTime() - notConnectedSince > TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
            synced = false;
            String why = tls != null && !probed ? tlsProblem() : null;
            if (why != null) {
                view.sourceUnreachable("ZooKeeper " + servers + ": " + why);
            } else if (!probed || tls == null) {
                view.sourceUnreachable("ZooKeeper " + servers + ": no connection within " + timeoutMillis + " ms");
            }
            probed = true; // once per episode: each try blocks the topology thread for up to dcsTimeout per server
        }
        schedule(this::check, intervalMillis);
    }

    /** A TLS handshake with each server in turn: the first failure's reason, or null if none failed. */
    private String tlsProblem() {
        ZKClientConfig config = clientConfig;
        if (config == null) {
            return null;
        }
        int timeout = (int) Math.min(Integer.MAX_VALUE, timeoutMillis);
        for (HostAndPort server : servers) {
            String why = tls.probe(config, server, timeout);
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    private void unreachable(Exception e) {
        if (closed) {
            return;
        }
        String why = e instanceof KeeperException.RequestTimeoutException ? "no answer within " + timeoutMillis + " ms"
                : e instanceof KeeperException.NoAuthException ? noAuth((KeeperException) e)
                : e instanceof KeeperException ? ((KeeperException) e).code().name()
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof KeeperException.NoAuthException || e instanceof KeeperException.AuthFailedException) {
            view.sourceRefused("ZooKeeper " + servers + ": " + why);
        } else {
            view.sourceUnreachable("ZooKeeper " + servers + ": " + why);
        }
    }

    /** ZooKeeper refused a read for want of rights: say which credentials were used, never the password. */
    private String noAuth(KeeperException e) {
        String path = e.getPath() != null ? e.getPath() : root;
        if (user == null && tls != null && tls.hasClientCertificate()) {
            return "not allowed to read " + path + " (NoAuth): the znodes' ACL does not grant READ to the subject of "
                    + "the client certificate (dcsCertFile); name it in the ACL, or set dcsUser and dcsPassword to a "
                    + "ZooKeeper digest user the ACL grants READ";
        }
        if (user == null) {
            return "not allowed to read " + path + " (NoAuth): the znodes' ACL admits only authenticated clients; "
                    + "set dcsUser and dcsPassword to a ZooKeeper digest user the ACL grants READ"
                    + (tls != null ? ", or present a client certificate it names (dcsCertFile, dcsKeyFile)" : "");
        }
        return "digest user '" + user + "' (dcsUser) may not read " + path + " (NoAuth): check dcsPassword (ZooKeeper "
                + "accepts any password at login and refuses the reads instead) and that the znodes' ACL grants "
                + "this user READ";
    }

    private void publish() {
        view.publish(parser.fromDcs(keys));
    }

    private boolean submit(Runnable task) {
        return !closed && Tasks.submit(executor, task);
    }

    private void schedule(Runnable task, long delayMillis) {
        try {
            executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Closes the client and waits (up to dcsTimeout) for its send and event threads to end. */
    private void closeClient() {
        ZooKeeper z = zk;
        zk = null;
        synced = false;
        if (z != null) {
            try {
                if (!z.close((int) Math.min(Integer.MAX_VALUE, timeoutMillis))) {
                    log.debug("pgcluster {}: ZooKeeper client threads still ending after {} ms", cluster,
                            timeoutMillis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String describe() {
        return "zookeeper " + servers + " " + prefix;
    }

    /** Closes the client on the topology thread, after any task in progress, which ends ZooKeeper's threads. */
    @Override
    public void close() {
        closed = true;
        Tasks.runOn(executor, () -> {
            closeClient();
            if (tls != null) {
                tls.close();
            }
        }, 2 * timeoutMillis + 1000);
    }
}
