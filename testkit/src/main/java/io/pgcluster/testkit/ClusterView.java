package io.pgcluster.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** A parsed snapshot of Patroni's {@code GET /cluster}. Immutable. */
final class ClusterView {
    // Patroni 3 reports a healthy replica as "running", Patroni 4 as "streaming".
    private static final Set<String> UP_STATES = Set.of("running", "streaming");

    /** One entry of {@code members}. */
    static final class Member {
        final String name;
        /** Patroni's own word for the role, for messages; {@link #kind} is what it means. */
        final String role;
        final Role kind;
        final String state;
        final int port;
        final Long timeline;
        /** Bytes behind the leader, or null when unknown (and for the leader). */
        final Long lag;

        Member(String name, String role, String state, int port, Long timeline, Long lag) {
            this.name = name;
            this.role = role;
            this.kind = Role.fromPatroni(role);
            this.state = state;
            this.port = port;
            this.timeline = timeline;
            this.lag = lag;
        }

        boolean isLeader() {
            return kind.holdsLeaderKey();
        }

        boolean isReplica() {
            return kind == Role.REPLICA;
        }

        boolean isSyncStandby() {
            return Role.SYNC_STANDBY.equals(role);
        }

        boolean isUp() {
            return UP_STATES.contains(state);
        }

        @Override
        public String toString() {
            return name + " " + role + " " + state + (lag == null ? "" : " lag " + lag);
        }
    }

    final List<Member> members;
    final boolean paused;

    private ClusterView(List<Member> members, boolean paused) {
        this.members = Collections.unmodifiableList(members);
        this.paused = paused;
    }

    static ClusterView parse(String json) {
        Map<String, Object> root = Json.parseObject(json);
        List<Member> members = new ArrayList<>();
        Object list = root.get("members");
        if (list instanceof List) {
            for (Object o : (List<?>) list) {
                if (!(o instanceof Map)) {
                    continue;
                }
                Map<?, ?> m = (Map<?, ?>) o;
                Object lag = m.get("lag");
                Object port = m.get("port");
                Object tl = m.get("timeline");
                members.add(new Member(String.valueOf(m.get("name")), String.valueOf(m.get("role")),
                        String.valueOf(m.get("state")), port instanceof Number ? ((Number) port).intValue() : -1,
                        tl instanceof Number ? ((Number) tl).longValue() : null,
                        lag instanceof Number ? ((Number) lag).longValue() : null));
            }
        }
        return new ClusterView(members, Boolean.TRUE.equals(root.get("pause")));
    }

    Member leader() {
        return members.stream().filter(Member::isLeader).findFirst().orElse(null);
    }

    Member member(String name) {
        return members.stream().filter(m -> m.name.equals(name)).findFirst().orElse(null);
    }

    List<String> names() {
        return members.stream().map(m -> m.name).sorted().collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return members.stream().map(Member::toString).collect(Collectors.joining(", ", "[", "]"))
                + (paused ? " (paused)" : "");
    }
}
