package io.pgcluster.testkit;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An induced replication lag, from {@link PatroniNode#induceLag()}: the replica's WAL receiver is stopped (SIGSTOP)
 * until {@link #close()} continues it (SIGCONT). The replica then catches up on its own.
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 *
 * <pre>{@code
 * try (LagHandle lag = replica.induceLag()) {
 *   writeSomeMegabytes();
 *   // GET /cluster now shows the replica's lag growing; HAProxy's read port drops it (/replica?lag=...)
 * }
 * }</pre>
 */
public final class LagHandle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LagHandle.class);

    private final PatroniNode node;
    private final ProcessHandle walReceiver;
    private final AtomicBoolean closed = new AtomicBoolean();

    LagHandle(PatroniNode node, ProcessHandle walReceiver) {
        this.node = node;
        this.walReceiver = walReceiver;
    }

    /**
     * The lagging replica.
     *
     * @return the node whose WAL receiver is stopped
     */
    public PatroniNode node() {
        return node;
    }

    /**
     * Whether the WAL receiver is still stopped by this handle.
     *
     * @return true until closed (or the receiver exits)
     */
    public boolean isActive() {
        return !closed.get() && walReceiver.isAlive();
    }

    /** Continues the WAL receiver (SIGCONT) so the replica catches up. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && walReceiver.isAlive()) {
            Signals.send(walReceiver, "CONT");
            log.info("{}: walreceiver {} continued (lag ended)", node.name(), walReceiver.pid());
        }
    }

    @Override
    public String toString() {
        return "LagHandle[" + node.name() + ", walreceiver " + walReceiver.pid() + (isActive() ? "" : ", ended") + "]";
    }
}
