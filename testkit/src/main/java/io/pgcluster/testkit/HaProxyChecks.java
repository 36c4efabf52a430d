package io.pgcluster.testkit;

/**
 * How often HAProxy asks Patroni's REST API which node is the primary and which are replicas, and how many answers it
 * needs before it changes its mind. This bounds how long HAProxy keeps routing to the old primary after a switchover
 * or failover (measured here: about 3 s with {@link #TIGHT}, 7–9 s with {@link #PATRONI_DOCS}).
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * PatroniCluster.builder().withHaProxy(true).haProxyChecks(HaProxyChecks.PATRONI_DOCS).start();
 * }</pre>
 */
public enum HaProxyChecks {
    /** {@code inter 1s fall 2 rise 1}: fast convergence; the default. */
    TIGHT(1, 2, 1, 2),
    /** {@code inter 3s fall 3 rise 2}: the values of Patroni's own haproxy.cfg example, as often seen in production. */
    PATRONI_DOCS(3, 3, 2, 5);

    private final int interSeconds;
    private final int fall;
    private final int rise;
    private final int timeoutSeconds;

    HaProxyChecks(int interSeconds, int fall, int rise, int timeoutSeconds) {
        this.interSeconds = interSeconds;
        this.fall = fall;
        this.rise = rise;
        this.timeoutSeconds = timeoutSeconds;
    }

    /**
     * The HAProxy {@code default-server} check options, e.g. {@code "inter 1s fall 2 rise 1"}.
     *
     * @return the options as they appear in haproxy.cfg
     */
    public String serverOptions() {
        return "inter " + interSeconds + "s fall " + fall + " rise " + rise;
    }

    /** HAProxy's {@code timeout check}. */
    int timeoutSeconds() {
        return timeoutSeconds;
    }
}
