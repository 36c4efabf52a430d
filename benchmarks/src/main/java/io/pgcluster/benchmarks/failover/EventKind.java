package io.pgcluster.benchmarks.failover;

/** What the rig does to the cluster while the load runs. */
enum EventKind {
    /** A planned switchover, {@code POST /switchover} on the leader; Patroni picks the candidate. */
    SWITCHOVER("switchover", "planned switchover"),
    /** SIGKILL to the primary's Patroni and PostgreSQL; a replica takes over once the leader key expires. */
    KILL_PRIMARY("kill", "kill -9 of the primary");

    final String key;
    final String label;

    EventKind(String key, String label) {
        this.key = key;
        this.label = label;
    }

    static EventKind forKey(String key) {
        for (EventKind k : values()) {
            if (k.key.equals(key)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown event '" + key + "'; known: switchover, kill");
    }
}
