package io.pgcluster.jdbc.topology;

import java.util.Map;
import java.util.Objects;

/**
 * One PostgreSQL server of the cluster as last reported by the topology source.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name Patroni member name (for the hosts and endpoints sources: the address)
 * @param host host to connect to
 * @param port PostgreSQL port to connect to
 * @param role role as the member reported it; see {@link Role}
 * @param state Patroni's state string ({@code running}, {@code streaming}, {@code starting}, {@code stopped}, ...)
 * @param timeline timeline, or -1 when not reported
 * @param walPosition WAL position in bytes (Patroni's {@code xlog_location}), or -1 when not reported
 * @param lagBytes replication lag behind the leader in bytes, or -1 when unknown (always 0 for the leader)
 * @param tags Patroni tags that differ from their defaults (values as text)
 * @param apiUrl Patroni REST API URL, or {@code null}
 * @param proxyHost host of the connection pooler in front of this member, from Patroni's {@code proxy_url}
 *     ({@code postgresql.proxy_address}), or {@code null} when none is published
 * @param proxyPort port of that pooler, or -1 when none is published
 */
public record Member(String name, String host, int port, Role role, String state, long timeline, long walPosition,
        long lagBytes, Map<String, String> tags, String apiUrl, String proxyHost, int proxyPort) {

    public Member {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(role, "role");
        state = state == null ? "unknown" : state;
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (proxyHost == null) {
            proxyPort = -1;
        }
    }

    /** A member without a published pooler address (the form before {@code proxy_url} was read). */
    public Member(String name, String host, int port, Role role, String state, long timeline, long walPosition,
            long lagBytes, Map<String, String> tags, String apiUrl) {
        this(name, host, port, role, state, timeline, walPosition, lagBytes, tags, apiUrl, null, -1);
    }

    /** Whether Patroni publishes a pooler address ({@code proxy_url}) for this member. */
    public boolean hasProxy() {
        return proxyHost != null;
    }

    /** Whether PostgreSQL is up and serving: Patroni's {@code running}, or Patroni 4's replica states. */
    public boolean isRunning() {
        return "running".equals(state) || "streaming".equals(state) || "in archive recovery".equals(state);
    }

    /** Whether the member carries Patroni's {@code noloadbalance} tag (set to true). */
    public boolean noLoadBalance() {
        return isTrue(tags.get("noloadbalance"));
    }

    /** {@code host:port}. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Whether this and {@code other} name the same server reached the same way (name, host and port, and the
     * pooler address in front of it).
     */
    public boolean sameServer(Member other) {
        return other != null && name.equals(other.name) && host.equals(other.host) && port == other.port
                && Objects.equals(proxyHost, other.proxyHost) && proxyPort == other.proxyPort;
    }

    private static boolean isTrue(String v) {
        return v != null && (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("on") || v.equals("1"));
    }

    @Override
    public String toString() {
        return name + "(" + address() + ", " + role.name().toLowerCase(java.util.Locale.ROOT) + ", " + state
                + (lagBytes > 0 ? ", lag " + lagBytes + "B" : "") + ")";
    }
}
