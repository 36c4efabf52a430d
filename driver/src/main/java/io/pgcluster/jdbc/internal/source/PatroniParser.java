package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.AllowedHosts;
import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.address.ServerAddress;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what Patroni writes into {@link Topology} snapshots: the keys under {@code <namespace>/<scope>/} in a
 * DCS, or the body of the REST API's {@code GET /cluster}.
 *
 * <p>Accepts Patroni 3 and 4: role {@code master} or {@code primary}, transitional roles and states, a missing
 * {@code xlog_location}, tags only when not default, unknown fields. A member record that cannot be parsed is
 * left out of the snapshot with one WARN naming its key (repeated only when its value changes); it never breaks
 * the snapshot.
 *
 * <p>Member addresses are data from outside: a host must be one well-formed DNS name, IPv4 or IPv6 address (see
 * {@link ServerAddress}) and the port 1..65535, else the member is left out with that WARN; with an allow-list
 * ({@code allowedHosts}) a member whose host is not on it is left out the same way. A member's {@code proxy_url} (its
 * pooler, for {@code pooler=node}) is checked the same way; a bad one is ignored with one WARN and the member stays,
 * reached at its PostgreSQL address. A snapshot takes at most
 * {@value #MAX_MEMBERS} members (a Patroni cluster has a handful); more are left out with one WARN, so that a
 * flooded DCS cannot make every pool in the application open connections to hundreds of servers. Logged values
 * have any {@code user:password@} and {@code "password": ...} masked.
 *
 * <p>Thread-safety: not thread-safe (remembers which bad values it already reported); one per source.
 */
final class PatroniParser {
    private static final Logger log = LoggerFactory.getLogger(PatroniParser.class);
    /** Most members one snapshot takes; Patroni clusters have a few, and each member costs pools and threads. */
    static final int MAX_MEMBERS = 256;
    /** Most bad keys remembered as already reported. */
    private static final int MAX_REPORTED = 1024;
    private static final Pattern USERINFO = Pattern.compile("(?i)([a-z][a-z0-9+.-]*://)[^\\s\"]*@");
    private static final Pattern SECRET_FIELD = Pattern.compile(
            "(?i)(\"[^\"]*(?:password|passwd|secret|token)[^\"]*\"\\s*:\\s*)(\"(?:[^\"\\\\]|\\\\.)*\"?|[^,}\\s]*)");
    private static final Pattern SECRET_PARAM = Pattern.compile("(?i)((?:password|passwd|secret|token)[^=&\\s\"]*=)[^&\\s\"]*");

    private final String cluster;
    private final AllowedHosts allowed;
    private final Map<String, String> reported = new HashMap<>();
    private boolean capReported;

    /** A parser that takes any well-formed member address. */
    PatroniParser(String cluster) {
        this(cluster, AllowedHosts.ANY);
    }

    /** A parser that takes only members whose host is on {@code allowed}. */
    PatroniParser(String cluster, AllowedHosts allowed) {
        this.cluster = cluster;
        this.allowed = allowed;
    }

    /**
     * Builds a snapshot from DCS keys.
     *
     * @param keys values by key relative to the scope's prefix ({@code leader}, {@code members/pg1}, ...)
     */
    Topology fromDcs(Map<String, String> keys) {
        Topology.Builder b = Topology.builder(cluster);
        String leader = trimToNull(keys.get("leader"));
        b.leader(leader);
        long optime = optime(keys);
        Map<String, Map<String, Object>> records = new LinkedHashMap<>();
        int seen = 0;
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("members/") && k.length() > "members/".length()) {
                if (++seen > MAX_MEMBERS) {
                    continue; // counted for the WARN, not parsed
                }
                Map<String, Object> rec = object(k, e.getValue());
                if (rec != null) {
                    records.put(k.substring("members/".length()), rec);
                }
            }
        }
        reportCap(seen);
        if (optime < 0 && leader != null && records.containsKey(leader)) {
            optime = asLong(records.get(leader).get("xlog_location"));
        }
        for (Map.Entry<String, Map<String, Object>> e : records.entrySet()) {
            String name = e.getKey();
            Member m = member("members/" + name, name, e.getValue(), name.equals(leader), optime, -1);
            if (m != null) {
                b.member(m);
            }
        }
        Map<String, Object> sync = object("sync", keys.get("sync"));
        if (sync != null && sync.get("sync_standby") instanceof String) {
            for (String s : ((String) sync.get("sync_standby")).split(",")) {
                if (!s.isBlank()) {
                    b.syncStandby(s.trim());
                }
            }
        }
        Map<String, Object> failover = object("failover", keys.get("failover"));
        if (failover != null && (failover.get("member") != null || failover.get("candidate") != null
                || failover.get("leader") != null)) {
            Object to = failover.get("member") != null ? failover.get("member") : failover.get("candidate");
            b.pendingSwitchover(new Topology.Switchover(str(failover.get("leader")), str(to),
                    str(failover.get("scheduled_at"))));
        }
        Map<String, Object> config = object("config", keys.get("config"));
        b.paused(config != null && Boolean.TRUE.equals(config.get("pause")));
        b.systemIdentifier(systemIdentifier(keys));
        return b.build();
    }

    /**
     * Patroni's {@code initialize} key: the system identifier of the cluster it bootstrapped (digits), or null when
     * absent or not digits (never published as something else, so that garbage cannot look like a new cluster).
     */
    private String systemIdentifier(Map<String, String> keys) {
        String id = trimToNull(keys.get("initialize"));
        if (id != null && !id.chars().allMatch(Character::isDigit)) {
            warnOnce("initialize", id, "not a system identifier");
            return null;
        }
        return id;
    }

    /** Builds a snapshot from the body of Patroni's {@code GET /cluster}. */
    @SuppressWarnings("unchecked")
    Topology fromRest(String body) {
        Map<String, Object> root = Json.parseObject(body);
        Topology.Builder b = Topology.builder(cluster);
        Object members = root.get("members");
        if (!(members instanceof List)) {
            throw new IllegalArgumentException("GET /cluster answered without a 'members' list");
        }
        List<Object> list = (List<Object>) members;
        reportCap(list.size());
        for (Object o : list.subList(0, Math.min(list.size(), MAX_MEMBERS))) {
            if (!(o instanceof Map)) {
                continue;
            }
            Map<String, Object> rec = (Map<String, Object>) o;
            String name = str(rec.get("name"));
            if (name == null) {
                warnOnce("/cluster member", address(rec), "no name");
                continue;
            }
            String role = str(rec.get("role"));
            boolean leader = Role.fromPatroni(role) == Role.PRIMARY;
            Object lag = rec.get("lag");
            long lagBytes = leader ? 0 : lag instanceof Number ? Math.max(0, ((Number) lag).longValue()) : -1;
            Member m = member("/cluster member " + name, name, rec, leader, -1, lagBytes);
            if (m != null) {
                b.member(m);
                if (leader) {
                    b.leader(name);
                }
                if (Role.isSyncStandby(role)) {
                    b.syncStandby(name);
                }
            }
        }
        Object scheduled = root.get("scheduled_switchover");
        if (scheduled instanceof Map) {
            Map<String, Object> s = (Map<String, Object>) scheduled;
            b.pendingSwitchover(new Topology.Switchover(str(s.get("from")), str(s.get("to")), str(s.get("at"))));
        }
        b.paused(Boolean.TRUE.equals(root.get("pause")));
        return b.build();
    }

    /**
     * One member from its record; {@code null} (after one WARN) when the record has no usable address.
     *
     * @param optime the leader's WAL position for lag (DCS), or -1
     * @param lagBytes lag as reported (REST), or -1 to compute it from {@code optime}
     */
    @SuppressWarnings("unchecked")
    private Member member(String key, String name, Map<String, Object> rec, boolean isLeader, long optime,
            long lagBytes) {
        String host;
        int port;
        try {
            if (rec.get("host") instanceof String) {
                host = (String) rec.get("host");
                Object p = rec.get("port");
                if (p != null && !(p instanceof Long)) {
                    throw new IllegalArgumentException("port is not an integer");
                }
                long lp = p == null ? 5432 : (Long) p;
                String problem = ServerAddress.checkPort(lp);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
                port = (int) lp;
            } else {
                String connUrl = str(rec.get("conn_url"));
                if (connUrl == null) {
                    throw new IllegalArgumentException("no conn_url");
                }
                URI uri;
                try {
                    uri = new URI(connUrl);
                } catch (URISyntaxException e) {
                    throw new IllegalArgumentException("conn_url is not a URI");
                }
                host = uri.getHost();
                if (host == null) {
                    throw new IllegalArgumentException("no host in conn_url");
                }
                port = uri.getPort() < 0 ? 5432 : uri.getPort();
                String problem = ServerAddress.checkPort(port);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
            }
            String problem = ServerAddress.checkHost(host);
            if (problem != null) {
                throw new IllegalArgumentException("host: " + problem);
            }
            host = ServerAddress.unbracket(host);
            if (!allowed.permits(host)) {
                throw new IllegalArgumentException("host " + host + " is not in allowedHosts (" + allowed + ")");
            }
        } catch (IllegalArgumentException e) {
            warnOnce(key, address(rec), e.getMessage());
            return null;
        }
        reported.remove(key);
        long wal = asLong(rec.get("xlog_location"));
        if (wal < 0) {
            wal = lsn(rec.get("replay_lsn"));
        }
        long lag = lagBytes;
        if (isLeader) {
            lag = 0;
        } else if (lag < 0 && optime >= 0 && wal >= 0) {
            lag = Math.max(0, optime - wal);
        }
        Map<String, String> tags = new HashMap<>();
        if (rec.get("tags") instanceof Map) {
            ((Map<String, Object>) rec.get("tags")).forEach((k, v) -> tags.put(k, String.valueOf(v)));
        }
        Role role = Role.fromPatroni(str(rec.get("role")));
        HostAndPort proxy = proxy(key, str(rec.get("proxy_url")));
        return new Member(name, host, port, role, str(rec.get("state")), asLong(rec.get("timeline")), wal, lag, tags,
                str(rec.get("api_url")), proxy == null ? null : proxy.host(), proxy == null ? -1 : proxy.port());
    }

    /**
     * The pooler address in a member's {@code proxy_url} (Patroni writes {@code postgres://host:port/db} from
     * {@code postgresql.proxy_address}), checked like {@code conn_url}; {@code null} when absent, or (after one
     * WARN) unusable: the member stays, reached directly.
     */
    private HostAndPort proxy(String memberKey, String proxyUrl) {
        String key = memberKey + " proxy_url";
        if (proxyUrl == null) {
            reported.remove(key);
            return null;
        }
        try {
            URI uri;
            try {
                uri = new URI(proxyUrl);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("proxy_url is not a URI");
            }
            String host = uri.getHost();
            if (host == null) {
                throw new IllegalArgumentException("no host in proxy_url");
            }
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            String problem = ServerAddress.checkPort(port);
            if (problem == null) {
                problem = ServerAddress.checkHost(host);
            }
            if (problem != null) {
                throw new IllegalArgumentException("proxy_url: " + problem);
            }
            host = ServerAddress.unbracket(host);
            if (!allowed.permits(host)) {
                throw new IllegalArgumentException("proxy_url host " + host + " is not in allowedHosts (" + allowed
                        + ")");
            }
            reported.remove(key);
            return new HostAndPort(host, port);
        } catch (IllegalArgumentException e) {
            String fingerprint = proxyUrl.length() + ":" + proxyUrl.hashCode();
            if (!fingerprint.equals(reported.put(key, fingerprint))) {
                log.warn("pgcluster {}: ignoring the pooler address of Patroni record '{}' ({}): {}", cluster,
                        abbreviate(mask(memberKey)), abbreviate(mask(e.getMessage())),
                        abbreviate(mask("proxy_url=" + proxyUrl)));
            }
            return null;
        }
    }

    /** What a member record says about its address, for a WARN (masked there): not the whole record. */
    private static String address(Map<String, Object> rec) {
        return rec.get("host") != null ? "host=" + rec.get("host") + ", port=" + rec.get("port")
                : "conn_url=" + rec.get("conn_url");
    }

    private long optime(Map<String, String> keys) {
        Map<String, Object> status = object("status", keys.get("status"));
        if (status != null) {
            long v = asLong(status.get("optime"));
            if (v >= 0) {
                return v;
            }
        }
        String legacy = trimToNull(keys.get("optime/leader"));
        if (legacy != null) {
            try {
                return Long.parseLong(legacy);
            } catch (NumberFormatException e) {
                warnOnce("optime/leader", legacy, "not a number");
            }
        }
        return -1;
    }

    /** Parses a JSON object value; {@code null} for an absent or empty value, or (after one WARN) a bad one. */
    private Map<String, Object> object(String key, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            Map<String, Object> m = Json.parseObject(value);
            reported.remove(key);
            return m;
        } catch (IllegalArgumentException e) {
            // not the value itself: cut anywhere, a conn_url's password has no '@' after it left to recognise it by
            warnOnce(key, value, e.getMessage(), "(" + value.length() + " characters, not shown)");
            return null;
        }
    }

    private void warnOnce(String key, String value, String why) {
        warnOnce(key, value, why, abbreviate(mask(value)));
    }

    /** WARNs about {@code key} once per distinct {@code value}; {@code shown} is what the WARN may show of it. */
    private void warnOnce(String key, String value, String why, String shown) {
        if (reported.size() >= MAX_REPORTED) {
            reported.clear(); // keys come and go (members renamed, a flooded DCS): repeat a WARN rather than grow
        }
        String fingerprint = value.length() + ":" + value.hashCode(); // not the value: it may be megabytes
        if (!fingerprint.equals(reported.put(key, fingerprint))) {
            log.warn("pgcluster {}: skipping Patroni record '{}' that cannot be used ({}): {}", cluster,
                    abbreviate(mask(key)), abbreviate(mask(why)), shown);
        }
    }

    /** One WARN when a snapshot has more members than it takes; again only after it was back within bounds. */
    private void reportCap(int members) {
        if (members <= MAX_MEMBERS) {
            capReported = false;
        } else if (!capReported) {
            capReported = true;
            log.warn("pgcluster {}: Patroni reports {} members; only the first {} are used (a Patroni cluster has a "
                    + "few: check what writes into the DCS)", cluster, members, MAX_MEMBERS);
        }
    }

    /**
     * {@code text} with anything that looks like a secret replaced by {@code ****}: the userinfo of a URL
     * ({@code postgres://user:pw@host}), the value of a JSON field or URL parameter whose name contains
     * password, passwd, secret or token.
     */
    static String mask(String text) {
        if (text == null) {
            return null;
        }
        String t = USERINFO.matcher(text).replaceAll("$1****@");
        t = SECRET_FIELD.matcher(t).replaceAll("$1\"****\"");
        return SECRET_PARAM.matcher(t).replaceAll("$1****");
    }

    private static String abbreviate(String v) {
        // cut by code points, and replace control characters, so that a record cannot forge log lines
        StringBuilder b = new StringBuilder(Math.min(v.length(), 310));
        int i = 0;
        for (int n = 0; i < v.length() && n < 300; n++) {
            int cp = v.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isISOControl(cp)) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        }
        return i < v.length() ? b.append("...").toString() : b.toString();
    }

    private static long asLong(Object o) {
        if (o instanceof Number) {
            return ((Number) o).longValue();
        }
        if (o instanceof String) {
            try {
                return Long.parseLong((String) o);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    /** A PostgreSQL LSN such as {@code 0/3000148} in bytes, or a number as such; -1 when absent or malformed. */
    static long lsn(Object o) {
        if (o instanceof Number) {
            return ((Number) o).longValue();
        }
        if (o instanceof String) {
            String s = (String) o;
            int slash = s.indexOf('/');
            if (slash > 0) {
                try {
                    return (Long.parseLong(s.substring(0, slash), 16) << 32) | Long.parseLong(s.substring(slash + 1), 16);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static String trimToNull(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
