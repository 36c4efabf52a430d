package io.pgcluster.examples.boot;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Orders, with each method's transaction routed by its read-only flag. */
@Service
public class OrderService {
    private static final String WHERE = "SELECT inet_server_port() || CASE WHEN pg_is_in_recovery() "
            + "THEN ' (replica)' ELSE ' (primary)' END";

    private final JdbcTemplate jdbc;

    public OrderService(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Runs on a replica. */
    @Transactional(readOnly = true)
    public long count() {
        Long n = jdbc.queryForObject("SELECT count(*) FROM orders", Long.class);
        return n == null ? 0 : n;
    }

    /** Runs on the leader. */
    @Transactional
    public long place(String item) {
        Long id = jdbc.queryForObject("INSERT INTO orders(item) VALUES (?) RETURNING id", Long.class, item);
        return id == null ? -1 : id;
    }

    /** Where a read-only transaction runs: a replica's port. */
    @Transactional(readOnly = true)
    public String whereReadsRun() {
        return jdbc.queryForObject(WHERE, String.class);
    }

    /** Where a read-write transaction runs: the leader's port. */
    @Transactional
    public String whereWritesRun() {
        return jdbc.queryForObject(WHERE, String.class);
    }
}
