package io.pgcluster.jdbc.config;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/** Parses {@code HOST:PORT[,HOST:PORT...]} lists; {@code [v6]:port} is accepted for IPv6 literals. */
final class Addresses {
    private Addresses() {
    }

    /** Validates the syntax only (ports may be missing); used by {@link PgClusterProperty#parse}. */
    static void parse(PgClusterProperty property, String text) {
        parse(property, text, 1);
    }

    static List<HostAndPort> parse(PgClusterProperty property, String text, int defaultPort) {
        List<HostAndPort> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            out.add(parseOne(property, text, part.trim(), defaultPort));
        }
        return List.copyOf(out);
    }

    private static HostAndPort parseOne(PgClusterProperty property, String whole, String part, int defaultPort) {
        if (part.isEmpty()) {
            throw property.invalid(whole, "an empty address in the list; expected HOST:PORT[,HOST:PORT...]");
        }
        String host;
        String port = null;
        if (part.startsWith("[")) {
            int close = part.indexOf(']');
            if (close < 0) {
                throw property.invalid(whole, "'" + part + "' opens '[' without ']'; write an IPv6 address as [::1]:5432");
            }
            host = part.substring(1, close);
            String rest = part.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw property.invalid(whole, "'" + part + "' has text after ']'; expected [IPV6]:PORT");
                }
                port = rest.substring(1);
            }
        } else {
            int colon = part.indexOf(':');
            if (colon != part.lastIndexOf(':')) {
                throw property.invalid(whole, "'" + part + "' has several ':'; write an IPv6 address as [::1]:5432");
            }
            host = colon < 0 ? part : part.substring(0, colon);
            port = colon < 0 ? null : part.substring(colon + 1);
        }
        if (host.isEmpty() || !validHost(host)) {
            throw property.invalid(whole, "'" + part + "' has no valid host; expected HOST:PORT such as 10.0.0.5:2379");
        }
        int p;
        if (port == null) {
            p = defaultPort;
        } else {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                throw property.invalid(whole, "'" + part + "' has port '" + port + "'; expected a port from 1 to 65535");
            }
        }
        return new HostAndPort(host, p);
    }

    /**
     * Checks that every address can be the authority of an {@code http(s)://} URI, as a client that takes URIs (the
     * etcd client) needs: a host name of letters, digits, '-' and '.', or an IP literal. The list syntax accepts more
     * ('_' and an IPv6 zone after '%'), which such a client would only refuse later, with an exception naming no
     * setting.
     *
     * @param client what takes the URIs, for the message (e.g. "the etcd client")
     */
    static void requireUriAuthorities(PgClusterProperty property, String whole, List<HostAndPort> addresses,
            String client) {
        for (HostAndPort a : addresses) {
            if (!isUriAuthority(a)) {
                throw property.invalid(whole, "'" + a + "' cannot be used by " + client + ", which needs a host "
                        + "name of letters, digits, '-' and '.' (no '_' or '%') or an IP address, such as "
                        + "etcd-1.example.com:2379 or [fd00::1]:2379");
            }
        }
    }

    private static boolean isUriAuthority(HostAndPort a) {
        try {
            URI uri = new URI("http://" + a + "/").parseServerAuthority();
            return uri.getHost() != null && uri.getPort() == a.port();
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static boolean validHost(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%')) {
                return false;
            }
        }
        return true;
    }
}
