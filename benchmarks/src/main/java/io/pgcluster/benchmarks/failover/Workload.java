package io.pgcluster.benchmarks.failover;

/** What the load's threads do; the same for every approach of a run. */
enum Workload {
    /** Writers: a write transaction. Readers: a read-only transaction. (The harness's original load.) */
    TX("tx", "write transactions; reads in read-only transactions"),
    /** Writers as {@link #TX}. Readers: auto-commit SELECTs with the read-only flag unset, as plain JDBC code does. */
    AUTOCOMMIT("autocommit", "write transactions; reads as auto-commit SELECTs"),
    /**
     * What a Spring Data JPA application does. Writers: a write transaction, then an auto-commit SELECT of the row
     * just written (a form post, then the page it redirects to; a miss is a stale read). Readers: auto-commit
     * SELECTs (declared finders, no transaction) and read-only transactions ({@code @Transactional(readOnly =
     * true)}, {@code findById}) in turn.
     */
    JPA("jpa", "write transactions each followed by an auto-commit read of its row; reads alternately auto-commit "
            + "and in read-only transactions");

    final String key;
    final String label;

    Workload(String key, String label) {
        this.key = key;
        this.label = label;
    }

    static Workload forKey(String key) {
        for (Workload w : values()) {
            if (w.key.equals(key)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + key + "'; known: tx, autocommit, jpa");
    }
}
