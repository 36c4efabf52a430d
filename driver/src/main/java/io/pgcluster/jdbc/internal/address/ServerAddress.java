package io.pgcluster.jdbc.internal.address;

import java.util.Locale;

/**
 * Syntax checks for a server address that pgcluster did not get from its own configuration: a member's host and
 * port as Patroni wrote them into the DCS or answered on its REST API. Such a string goes to pgjdbc only as a
 * connection property, and only after it passed {@link #checkHost}, so that it can name one server and nothing
 * else (no second host after a comma, no URL parameters, no path).
 *
 * <p>Accepted hosts: a DNS name (labels of letters, digits, '-' and '_', at most 63 characters each, 253 in all,
 * an optional final dot), an IPv4 address in dotted-quad form, or an IPv6 address (with or without brackets, with an
 * optional zone such as {@code %eth0}). Anything else, including text that looks like a dotted number but is not an
 * IPv4 address ({@code 999.1.1.1}, {@code 127.1}), is refused.
 *
 * <p>Thread-safety: stateless.
 */
public final class ServerAddress {
    /** Longest host text accepted (the DNS limit). */
    static final int MAX_HOST_LENGTH = 253;

    private ServerAddress() {
    }

    /**
     * Why {@code host} is not a well-formed host, or {@code null} when it is.
     *
     * @param host a host name or IP literal; IPv6 may be in brackets
     */
    public static String checkHost(String host) {
        if (host == null || host.isEmpty()) {
            return "empty host";
        }
        if (host.length() > MAX_HOST_LENGTH + 2) {
            return "host longer than " + MAX_HOST_LENGTH + " characters";
        }
        String h = unbracket(host);
        if (h.indexOf(':') >= 0) {
            return ipv6(h, true) != null ? null : "not a valid IPv6 address";
        }
        if (!h.equals(host)) {
            return "brackets around something that is not an IPv6 address";
        }
        if (looksNumeric(h)) {
            return ipv4(h) != null ? null : "not a valid IPv4 address";
        }
        return dnsNameProblem(h);
    }

    /** Why {@code port} is not a TCP port, or {@code null} when it is. */
    public static String checkPort(long port) {
        return port >= 1 && port <= 65535 ? null : "port " + port + " out of range 1..65535";
    }

    /** {@code host} without the brackets of an IPv6 literal. */
    public static String unbracket(String host) {
        return host.length() >= 2 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']'
                ? host.substring(1, host.length() - 1) : host;
    }

    /** The 4 or 16 bytes of an IP literal (IPv6 zone ignored), or {@code null} when {@code host} is not one. */
    static byte[] ipLiteral(String host) {
        String h = unbracket(host);
        if (h.indexOf(':') >= 0) {
            return ipv6(h, true);
        }
        return looksNumeric(h) ? ipv4(h) : null;
    }

    /** Lower case, without a final dot: the form in which two DNS names are compared. */
    static String canonicalName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static String dnsNameProblem(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty() || n.length() > MAX_HOST_LENGTH) {
            return "not a valid host name";
        }
        int labelStart = 0;
        for (int i = 0; i <= n.length(); i++) {
            if (i == n.length() || n.charAt(i) == '.') {
                int len = i - labelStart;
                if (len == 0 || len > 63) {
                    return "host name label of " + len + " characters (1..63 allowed)";
                }
                if (n.charAt(labelStart) == '-' || n.charAt(i - 1) == '-') {
                    return "host name label starting or ending with '-'";
                }
                labelStart = i + 1;
                continue;
            }
            char c = n.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_';
            if (!ok) {
                return "character " + describe(c) + " not allowed in a host name";
            }
        }
        return null;
    }

    private static String describe(char c) {
        return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    /** Digits and dots only: it must then be an IPv4 address (a name cannot be all-numeric in its last label). */
    private static boolean looksNumeric(String h) {
        String n = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        int lastDot = n.lastIndexOf('.');
        String last = n.substring(lastDot + 1);
        if (last.isEmpty()) {
            return false;
        }
        for (int i = 0; i < last.length(); i++) {
            if (last.charAt(i) < '0' || last.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    static byte[] ipv4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (digits == 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                if (digits == 3 || (digits > 0 && value == 0)) {
                    return null; // more than 3 digits, or a leading zero (octal in some parsers)
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                digits++;
                if (value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }

    /** The 16 bytes of an IPv6 address, {@code null} if malformed; a {@code %zone} is allowed when asked. */
    static byte[] ipv6(String s, boolean zoneAllowed) {
        int percent = s.indexOf('%');
        if (percent >= 0) {
            String zone = s.substring(percent + 1);
            if (!zoneAllowed || zone.isEmpty() || zone.length() > 64) {
                return null;
            }
            for (int i = 0; i < zone.length(); i++) {
                char c = zone.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                        || c == '_' || c == '.')) {
                    return null;
                }
            }
            s = s.substring(0, percent);
        }
        if (s.length() < 2 || s.length() > 45) {
            return null;
        }
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return null;
        }
        String head = doubleColon >= 0 ? s.substring(0, doubleColon) : s;
        String tail = doubleColon >= 0 ? s.substring(doubleColon + 2) : "";
        int[] h = groups(head, doubleColon < 0);
        int[] t = doubleColon >= 0 ? groups(tail, true) : new int[0];
        if (h == null || t == null) {
            return null;
        }
        int total = h.length + t.length;
        if (doubleColon < 0 ? total != 8 : total > 7) {
            return null;
        }
        byte[] out = new byte[16];
        for (int i = 0; i < h.length; i++) {
            out[2 * i] = (byte) (h[i] >> 8);
            out[2 * i + 1] = (byte) h[i];
        }
        for (int i = 0; i < t.length; i++) {
            int k = 8 - t.length + i;
            out[2 * k] = (byte) (t[i] >> 8);
            out[2 * k + 1] = (byte) t[i];
        }
        return out;
    }

    /** 16-bit groups separated by ':'; the last may be a dotted IPv4 address (two groups) if allowed. */
    private static int[] groups(String s, boolean ipv4TailAllowed) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":", -1);
        int[] out = new int[parts.length + 1];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && ipv4TailAllowed && p.indexOf('.') >= 0) {
                byte[] v4 = ipv4(p);
                if (v4 == null) {
                    return null;
                }
                out[n++] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
                out[n++] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                int d = c < 128 ? Character.digit(c, 16) : -1; // ASCII only: Character.digit takes other scripts
                if (d < 0) {
                    return null;
                }
                v = v * 16 + d;
            }
            out[n++] = v;
        }
        int[] r = new int[n];
        System.arraycopy(out, 0, r, 0, n);
        return r;
    }
}
