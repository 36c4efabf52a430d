package io.pgcluster.jdbc.internal.address;

/**
 * A server address as configured: host name or IP literal and TCP port.
 *
 * <p>Thread-safety: immutable.
 *
 * @param host host name or IP literal, without brackets
 * @param port TCP port, 1 to 65535
 */
public record HostAndPort(String host, int port) {

    /** {@code host:port}, with brackets around an IPv6 literal. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
