package io.pgcluster.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on 127.0.0.1 that injects network faults between a client and one server (a PostgreSQL node, etcd, or
 * anything else). It forwards bytes unchanged in one of three modes, switchable at any time:
 *
 * <ul>
 *   <li>{@link #pass()} (the initial mode): bytes are forwarded as they arrive;
 *   <li>{@link #latency(Duration)}: every chunk is delivered that long after it was read, in each direction (so a
 *       request/response round trip gets twice the latency); throughput is preserved;
 *   <li>{@link #blackhole()}: like a network partition. New connections are accepted (the kernel completes the TCP
 *       handshake) but not connected upstream; established connections stay open but nothing is delivered in either
 *       direction, and once the buffers are full the senders block. A close or reset by one side is held too, so a
 *       server that dies behind a blackhole is lost silently, as a host that loses power behind a partition. Held
 *       data, closes and resets are delivered when the mode changes back, as after a healed partition. Clients only
 *       notice through their own timeouts.
 * </ul>
 *
 * <p>{@link #resetAll()} aborts every established connection with a TCP RST on both sides (as a crashed host or a
 * firewall reset would); the mode is unchanged and new connections are accepted.
 *
 * <p>Plain blocking sockets and daemon threads (four per connection); meant for tests with tens of connections, not
 * for load. Thread-safe: mode changes may come from any thread and apply immediately to all connections.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start("127.0.0.1", node.pgPort())) {
 *   String url = cluster.jdbcUrl("127.0.0.1", proxy.port());
 *   proxy.latency(Duration.ofMillis(200));   // slow network
 *   proxy.blackhole();                       // partition: queries hang until socketTimeout
 *   proxy.pass();                            // healed
 *   proxy.resetAll();                        // every open connection gets "Connection reset"
 * }
 * }</pre>
 */
public final class FaultProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
    private static final int CHUNK = 16 * 1024;
    private static final int QUEUED_CHUNKS = 16;
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final byte[] EOF = new byte[0];
    /** A reset from one side, delivered to the other like data: held by a blackhole, delayed by latency. */
    private static final byte[] RESET = new byte[0];

    private enum Mode { PASS, LATENCY, BLACKHOLE }

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger linkIds = new AtomicInteger();
    private final Object lock = new Object();
    private Mode mode = Mode.PASS; // guarded by lock
    private long latencyNanos; // guarded by lock
    private volatile boolean closed;

    private FaultProxy(String targetHost, int targetPort, ServerSocket server) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-" + server.getLocalPort() + "-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Starts a proxy listening on 127.0.0.1 on a free port, forwarding to {@code targetHost:targetPort}.
     *
     * @param targetHost host of the server to put behind the proxy
     * @param targetPort port of that server
     * @return the running proxy, in {@link #pass()} mode
     * @throws TestkitException if no port can be bound
     */
    public static FaultProxy start(String targetHost, int targetPort) {
        Objects.requireNonNull(targetHost, "targetHost");
        if (targetPort <= 0 || targetPort > 65535) {
            throw new IllegalArgumentException("targetPort must be 1..65535 but was " + targetPort);
        }
        ServerSocket s = null;
        try {
            s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
            FaultProxy p = new FaultProxy(targetHost, targetPort, s);
            p.acceptor.start();
            log.debug("fault proxy 127.0.0.1:{} -> {}:{} started", s.getLocalPort(), targetHost, targetPort);
            return p;
        } catch (IOException e) {
            closeQuietly(s);
            throw new TestkitException("Cannot start a fault proxy for " + targetHost + ":" + targetPort + ": " + e, e);
        }
    }

    /**
     * The port this proxy listens on (on 127.0.0.1).
     *
     * @return the listening port
     */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * The port of the server behind this proxy.
     *
     * @return the target port
     */
    public int targetPort() {
        return targetPort;
    }

    /** Forwards everything immediately; releases data held by {@link #blackhole()}. */
    public void pass() {
        setMode(Mode.PASS, 0);
    }

    /**
     * Delays every chunk by {@code delay} in each direction.
     *
     * @param delay the one-way delay; zero is the same as {@link #pass()}
     */
    public void latency(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative but was " + delay);
        }
        setMode(delay.isZero() ? Mode.PASS : Mode.LATENCY, delay.toNanos());
    }

    /** Accepts connections but forwards nothing, in either direction, until the mode changes. */
    public void blackhole() {
        setMode(Mode.BLACKHOLE, 0);
    }

    /** Aborts every established connection with a TCP RST on both sides. The mode is unchanged. */
    public void resetAll() {
        int n = 0;
        for (Link l : links) {
            if (l.abort()) {
                n++;
            }
        }
        log.info("fault proxy :{} -> :{}: reset {} connection(s)", port(), targetPort, n);
    }

    /**
     * The number of client connections currently open through this proxy (including those held by a blackhole).
     *
     * @return open connections
     */
    public int activeConnections() {
        return links.size();
    }

    /** Stops listening and resets every connection. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(server);
        for (Link l : links) {
            l.abort();
        }
        synchronized (lock) {
            lock.notifyAll();
        }
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "FaultProxy[127.0.0.1:" + port() + " -> " + targetHost + ":" + targetPort + ", " + describeMode()
                    + ", " + links.size() + " connection(s)" + (closed ? ", closed" : "") + "]";
        }
    }

    private String describeMode() {
        return mode == Mode.LATENCY ? "latency " + TimeUnit.NANOSECONDS.toMillis(latencyNanos) + " ms"
                : mode.name().toLowerCase(java.util.Locale.ROOT);
    }

    private void setMode(Mode m, long latency) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("fault proxy :" + port() + " is closed");
            }
            boolean changed = mode != m || latencyNanos != latency;
            mode = m;
            latencyNanos = latency;
            if (changed) {
                log.info("fault proxy :{} -> :{}: {}", port(), targetPort, describeMode());
            }
            lock.notifyAll();
        }
    }

    /** Blocks while blackholed, then until {@code readAt + latency}. */
    private void awaitDelivery(Link link, long readAt) throws InterruptedException {
        synchronized (lock) {
            while (true) {
                if (closed || link.aborted.get()) {
                    throw new InterruptedException("connection closed");
                }
                if (mode == Mode.BLACKHOLE) {
                    lock.wait();
                    continue;
                }
                long remaining = readAt + latencyNanos - System.nanoTime();
                if (remaining <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, remaining);
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("fault proxy :{} stopped accepting: {}", port(), e.toString());
                }
                return;
            }
            if (closed) {
                closeQuietly(client);
                return;
            }
            Link link = new Link(linkIds.incrementAndGet(), client);
            links.add(link);
            link.spawn("open", link::open);
        }
    }

    /** One client connection and its upstream connection. */
    private final class Link {
        final int id;
        final Socket client;
        volatile Socket upstream;
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        final AtomicBoolean aborted = new AtomicBoolean();
        final AtomicInteger finishedDirections = new AtomicInteger();

        Link(int id, Socket client) {
            this.id = id;
            this.client = client;
        }

        void spawn(String what, Runnable r) {
            Thread t = new Thread(r, "fault-proxy-" + port() + "-" + id + "-" + what);
            t.setDaemon(true);
            threads.add(t);
            if (aborted.get()) {
                return;
            }
            t.start();
        }

        void open() {
            try {
                awaitDelivery(this, System.nanoTime());
                Socket up = new Socket();
                upstream = up;
                up.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MS);
                up.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                if (aborted.get()) {
                    abortSockets();
                    return;
                }
                pipe("c2u", client, up);
                pipe("u2c", up, client);
            } catch (IOException e) {
                log.debug("fault proxy :{} cannot connect to {}:{}: {}", port(), targetHost, targetPort, e.toString());
                abort();
            } catch (InterruptedException e) {
                abort();
            }
        }

        void pipe(String name, Socket from, Socket to) throws IOException {
            BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            spawn(name + "-read", () -> {
                byte[] buf = new byte[CHUNK];
                try {
                    while (true) {
                        int n = in.read(buf);
                        if (n < 0) {
                            enqueue(queue, new Chunk(EOF, System.nanoTime()));
                            return;
                        }
                        enqueue(queue, new Chunk(Arrays.copyOf(buf, n), System.nanoTime()));
                    }
                } catch (IOException e) {
                    if (aborted.get()) {
                        return;
                    }
                    try {
                        enqueue(queue, new Chunk(RESET, System.nanoTime())); // the peer reset us: pass it on in turn
                    } catch (InterruptedException ie) {
                        abort();
                    }
                } catch (InterruptedException e) {
                    abort();
                }
            });
            spawn(name + "-write", () -> {
                try {
                    while (true) {
                        Chunk c = queue.poll(200, TimeUnit.MILLISECONDS);
                        if (c == null) {
                            if (aborted.get()) {
                                return;
                            }
                            continue;
                        }
                        awaitDelivery(this, c.readAt);
                        if (c.data == RESET) {
                            abort();
                            return;
                        }
                        if (c.data == EOF) {
                            if (!to.isClosed()) {
                                to.shutdownOutput();
                            }
                            if (finishedDirections.incrementAndGet() == 2) {
                                finish();
                            }
                            return;
                        }
                        out.write(c.data);
                        out.flush();
                    }
                } catch (IOException e) {
                    abort();
                } catch (InterruptedException e) {
                    abort();
                }
            });
        }

        /** Puts a chunk, giving up (by interruption) once the link is aborted, so no thread blocks forever. */
        void enqueue(BlockingQueue<Chunk> queue, Chunk c) throws InterruptedException {
            while (!queue.offer(c, 200, TimeUnit.MILLISECONDS)) {
                if (aborted.get()) {
                    throw new InterruptedException("connection closed");
                }
            }
        }

        /** Both directions ended with a FIN: close normally. */
        void finish() {
            if (aborted.compareAndSet(false, true)) {
                closeQuietly(client);
                closeQuietly(upstream);
                links.remove(this);
                interruptOthers();
            }
        }

        /** Aborts with RST on both sides. True if this call did it. */
        boolean abort() {
            if (!aborted.compareAndSet(false, true)) {
                return false;
            }
            abortSockets();
            links.remove(this);
            interruptOthers();
            synchronized (lock) {
                lock.notifyAll();
            }
            return true;
        }

        void abortSockets() {
            rst(client);
            rst(upstream);
        }

        void interruptOthers() {
            for (Thread t : threads) {
                if (t != Thread.currentThread()) {
                    t.interrupt();
                }
            }
        }
    }

    private static final class Chunk {
        final byte[] data;
        final long readAt;

        Chunk(byte[] data, long readAt) {
            this.data = data;
            this.readAt = readAt;
        }
    }

    private static void rst(Socket s) {
        if (s == null) {
            return;
        }
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
            }
        } catch (SocketException ignored) {
            // already closed or never connected
        }
        closeQuietly(s);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing useful to do
        }
    }
}
