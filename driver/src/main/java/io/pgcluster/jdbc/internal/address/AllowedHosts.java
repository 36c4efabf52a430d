package io.pgcluster.jdbc.internal.address;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The allow-list of member hosts (the {@code allowedHosts} setting): host names, IP addresses and CIDR
 * blocks, IPv4 and IPv6. A member whose address the DCS or Patroni's REST API reports is used only if its host
 * matches an entry: a name matches the same name (case-insensitive, a final dot ignored), an IP literal matches an
 * equal address or a block containing it. Names are not resolved: a member published as a name must be listed by
 * name, one published as an IP by address or block (this keeps a DNS answer from widening the list).
 *
 * <p>Thread-safety: immutable.
 */
public final class AllowedHosts {
    /** No allow-list: any well-formed address is used. */
    public static final AllowedHosts ANY = new AllowedHosts(null, List.of(), List.of());

    private final String text;
    private final List<String> names;
    private final List<Block> blocks;

    private record Block(byte[] network, int prefix) {
        boolean contains(byte[] ip) {
            if (ip.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (ip[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (ip[full] & mask) == (network[full] & mask);
        }
    }

    private AllowedHosts(String text, List<String> names, List<Block> blocks) {
        this.text = text;
        this.names = names;
        this.blocks = blocks;
    }

    /**
     * Parses the comma-separated list; {@code null} or blank means {@link #ANY}.
     *
     * @throws IllegalArgumentException naming the bad entry and what would be right (the configuration adds the
     *     property name and the whole value)
     */
    public static AllowedHosts parse(String text) {
        if (text == null || text.isBlank()) {
            return ANY;
        }
        List<String> names = new ArrayList<>();
        List<Block> blocks = new ArrayList<>();
        for (String raw : text.split(",", -1)) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("an empty entry in the list; expected host "
                        + "names, IP addresses or CIDR blocks separated by commas, such as db.example.com,10.0.0.0/8");
            }
            int slash = entry.indexOf('/');
            String address = slash < 0 ? entry : entry.substring(0, slash);
            String problem = ServerAddress.checkHost(address);
            if (problem != null) {
                throw new IllegalArgumentException("entry '" + entry + "': " + problem
                        + "; expected a host name, an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8");
            }
            byte[] ip = ServerAddress.ipLiteral(address);
            if (slash < 0) {
                if (ip == null) {
                    names.add(ServerAddress.canonicalName(address));
                } else {
                    blocks.add(new Block(ip, ip.length * 8));
                }
                continue;
            }
            if (ip == null || address.indexOf('%') >= 0) {
                throw new IllegalArgumentException("entry '" + entry + "': a CIDR block needs an "
                        + "IP address before '/', such as 10.0.0.0/8 or fd00::/8");
            }
            String bits = entry.substring(slash + 1);
            int prefix = -1;
            if (bits.length() >= 1 && bits.length() <= 3 && bits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                prefix = Integer.parseInt(bits);
            }
            if (prefix < 0 || prefix > ip.length * 8) {
                throw new IllegalArgumentException("entry '" + entry + "': prefix length '" + bits
                        + "' must be 0.." + ip.length * 8 + " for an IPv" + (ip.length == 4 ? "4" : "6")
                        + " block");
            }
            blocks.add(new Block(ip, prefix));
        }
        return new AllowedHosts(text, List.copyOf(names), List.copyOf(blocks));
    }

    /** Whether every well-formed host is allowed (no list configured). */
    public boolean allowsAny() {
        return text == null;
    }

    /** Whether {@code host} (a well-formed host; see {@link ServerAddress#checkHost}) is on the list. */
    public boolean permits(String host) {
        if (text == null) {
            return true;
        }
        byte[] ip = ServerAddress.ipLiteral(host);
        if (ip == null) {
            return names.contains(ServerAddress.canonicalName(host));
        }
        byte[] mapped = ip.length == 16 ? ipv4Mapped(ip) : null;
        for (Block b : blocks) {
            if (b.contains(ip) || (mapped != null && b.contains(mapped))) {
                return true;
            }
        }
        return false;
    }

    /** The IPv4 address inside an IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.1}), else {@code null}. */
    private static byte[] ipv4Mapped(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return null;
            }
        }
        return (ip[10] == (byte) 0xff && ip[11] == (byte) 0xff) ? Arrays.copyOfRange(ip, 12, 16) : null;
    }

    /** The list as configured, or {@code any}. */
    @Override
    public String toString() {
        return text == null ? "any" : text.toLowerCase(Locale.ROOT);
    }
}
