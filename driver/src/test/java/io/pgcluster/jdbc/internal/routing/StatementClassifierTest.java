package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which auto-commit SQL texts a replica may run: every rule both ways, and text that must not fool it. */
class StatementClassifierTest {

    private final StatementClassifier classifier = new StatementClassifier(List.of("Audit_Insert", "bump$counter"));

    private boolean safe(String sql) {
        return classifier.replicaSafe(sql);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 1",
        "SELECT",
        "select * from orders where id = ?",
        "SeLeCt name FROM customers",
        "  \n\tSELECT 1  ",
        "SELECT 1;",
        "SELECT 1; SELECT 2",
        "SELECT 1;;SELECT 2;",
        "(SELECT 1) UNION (SELECT 2)",
        "SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1 LIMIT 10 OFFSET 5",
        "WITH x AS (SELECT 1 AS a) SELECT * FROM x",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
        "with a as (select 1), b as (select 2) select * from a, b",
        "WITH x AS MATERIALIZED (SELECT 1) SELECT * FROM x",
        "VALUES (1, 'a'), (2, 'b')",
        "TABLE orders",
        "SELECT count(*), max(id), now(), random(), gen_random_uuid() FROM t",
        "SELECT currval_history FROM t",
        "SELECT nextval_count FROM stats",
        "SELECT t.nextval FROM t",
        "SELECT updated_at, inserted_by, deleted, merged, intocount FROM t",
        "SELECT share FROM stocks",
        "SELECT * FROM t WHERE x IN (SELECT y FROM u) AND EXISTS (SELECT 1 FROM v)",
        "SELECT * FROM t WHERE doc ?? 'key'",
        "SELECT * FROM t WHERE doc ? 'key'",
        "SELECT $1::int",
        "SELECT 1e5, 0x1F, 1.5e-3, 3.14",
        "SELECT a$b FROM t",
        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), current_setting('x'), txid_current_snapshot()",
        "SELECT pg_sleep(0.1)",
        "SELECT /* a comment */ 1",
        "/* Hibernate: findByName */ select c.id from customer c where c.name=?",
        "-- leading line comment\nSELECT 1",
        "SELECT 1 -- trailing comment without newline",
        "SELECT 1; /* a comment after the last statement */",
        "SELECT \"Id\", \"Name\" FROM \"Customer\"",
        "SELECT \"into\", \"update\" FROM t",
        "SELECT audit_insert_count FROM t",
        "SELECT E'it''s' || 'x' FROM t",
        "SELECT * FROM t FOR READ ONLY",
    })
    void readsGoToReplicas(String sql) {
        assertThat(safe(sql)).as(sql).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET a = 1",
        "DELETE FROM t",
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        "CREATE TABLE t (a int)",
        "TRUNCATE t",
        "CALL proc()",
        "DO $$ BEGIN PERFORM 1; END $$",
        "SET search_path = x",
        "SHOW search_path",
        "EXPLAIN ANALYZE SELECT 1",
        "LOCK TABLE t",
        "NOTIFY channel",
        "LISTEN channel",
        "BEGIN",
        "COMMIT",
        "VACUUM t",
        "COPY t TO STDOUT",
        "REFRESH MATERIALIZED VIEW v",
        "{call proc(?)}",
        "{? = call nextval('s')}",
    })
    void otherStatementsStayOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM t FOR UPDATE",
        "SELECT * FROM t FOR UPDATE NOWAIT",
        "SELECT * FROM t FOR UPDATE SKIP LOCKED",
        "SELECT * FROM t FOR NO KEY UPDATE",
        "SELECT * FROM t FOR SHARE",
        "SELECT * FROM t FOR KEY SHARE",
        "select * from t for share of t",
        "SELECT * FROM t FOR /* lock */ SHARE",
        "SELECT * FROM t\nFOR\nKEY\nSHARE",
        "SELECT * FROM (SELECT * FROM t FOR UPDATE) s",
        "WITH x AS (SELECT * FROM t FOR UPDATE) SELECT * FROM x",
    })
    void lockingReadsStayOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x",
        "WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
        "WITH x AS (MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE RETURNING *) SELECT * FROM x",
        "WITH x AS (SELECT 1), y AS (delete from t returning id) SELECT * FROM x, y",
        "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
        "WITH x AS (SELECT 1) UPDATE t SET a = (SELECT * FROM x)",
        "WITH x AS (SELECT 1) DELETE FROM t WHERE a IN (SELECT * FROM x)",
    })
    void dataModifyingCtesStayOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * INTO new_table FROM t",
        "SELECT a, b INTO TEMP tmp FROM t",
        "select 1 into unlogged u",
    })
    void selectIntoStaysOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT nextval('s')",
        "SELECT setval('s', 10)",
        "SELECT currval('s')",
        "SELECT lastval()",
        "SELECT NEXTVAL('s')",
        "SELECT NextVal ('s')",
        "SELECT nextval\n('s')",
        "SELECT nextval /* why not */ ('s')",
        "SELECT nextval -- a comment\n('s')",
        "SELECT public.nextval('s')",
        "SELECT pg_catalog.nextval('s')",
        "SELECT \"nextval\"('s')",
        "SELECT pg_catalog.\"nextval\"('s')",
        "SELECT \"pg_catalog\".\"setval\"('s', 1)",
        "SELECT id, nextval('s') FROM t",
        "SELECT * FROM nextval('s')",
        "SELECT 1 WHERE nextval('s') > 0",
        "VALUES (nextval('s'))",
        "WITH x AS (SELECT nextval('s')) SELECT * FROM x",
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_advisory_xact_lock(1)",
        "SELECT pg_advisory_lock_shared(1)",
        "SELECT pg_advisory_unlock_all()",
        "SELECT pg_try_advisory_lock(1)",
        "SELECT pg_try_advisory_xact_lock_shared(1)",
        "SELECT set_config('app.user', 'x', false)",
        "SELECT pg_notify('c', 'payload')",
        "SELECT txid_current()",
        "SELECT pg_current_xact_id()",
        "SELECT pg_current_wal_lsn()",
        "SELECT pg_current_wal_insert_lsn()",
        "SELECT pg_current_xlog_location()",
        "SELECT pg_switch_wal()",
        "SELECT pg_create_restore_point('x')",
        "SELECT pg_create_logical_replication_slot('s', 'pgoutput')",
        "SELECT pg_drop_replication_slot('s')",
        "SELECT * FROM pg_logical_slot_get_changes('s', NULL, NULL)",
        "SELECT pg_logical_emit_message(true, 'p', 'm')",
        "SELECT pg_terminate_backend(123)",
        "SELECT pg_reload_conf()",
        "SELECT pg_promote()",
        "SELECT pg_wal_replay_pause()",
        "SELECT pg_stat_reset()",
        "SELECT pg_stat_reset_shared('bgwriter')",
        "SELECT pg_stat_statements_reset()",
        "SELECT lo_create(0)",
        "SELECT lo_unlink(123)",
        "SELECT lowrite(0, 'x')",
        "SELECT dblink_exec('conn', 'DELETE FROM t')",
        "SELECT * FROM dblink('conn', 'SELECT 1') AS t(a int)",
        "SELECT pg_replication_origin_create('o')",
    })
    void writingFunctionsStayOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT audit_insert(1)",
        "SELECT AUDIT_INSERT(1)",
        "SELECT app.audit_insert(1)",
        "SELECT \"Audit_Insert\"(1)",
        "SELECT * FROM t WHERE audit_insert(t.id)",
        "SELECT bump$counter()",
    })
    void userListedFunctionsStayOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
        assertThat(new StatementClassifier(List.of()).replicaSafe(sql)).as("without the setting: " + sql).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/*pgcluster:leader*/ SELECT 1",
        "/* pgcluster:leader */ SELECT 1",
        "/*PGCLUSTER:LEADER*/ SELECT 1",
        "/* findCustomer pgcluster:leader */ select c.id from customer c",
        "SELECT 1 /*pgcluster:leader*/",
        "SELECT /*pgcluster:leader*/ 1",
        "-- pgcluster:leader\nSELECT 1",
        "SELECT 1 -- pgcluster:leader",
        "SELECT 1; SELECT 2 /*pgcluster:leader*/",
        "SELECT 1; /*pgcluster:leader*/",
        "/* outer /* pgcluster:leader */ still a comment */ SELECT 1",
    })
    void theHintKeepsAReadOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 'pgcluster:leader'",
        "SELECT \"pgcluster:leader\" FROM t",
        "SELECT $$/*pgcluster:leader*/$$",
        "SELECT pgcluster FROM leader",
    })
    void theHintOutsideACommentIsNoHint(String sql) {
        assertThat(safe(sql)).as(sql).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 'INSERT INTO t VALUES (1)'",
        "SELECT 'for update', 'for share', 'nextval(1)', 'select 1 into x'",
        "SELECT 'it''s; DELETE FROM t'",
        "SELECT E'it\\'s; DELETE FROM t'",
        "SELECT e'\\\\', 'update'",
        "SELECT U&'d\\0061t\\+000061 update'",
        "SELECT \"update\" FROM t",
        "SELECT \"nextval\" FROM t",
        "SELECT \"delete\"\"me\" FROM t",
        "SELECT $$ DELETE FROM t; nextval('s') $$",
        "SELECT $tag$ INSERT INTO t $notag$ UPDATE $tag$",
        "SELECT $a$ $$ UPDATE $$ $a$",
        "SELECT 1 /* FOR UPDATE */",
        "SELECT 1 /* nested /* INSERT */ DELETE */",
        "SELECT 1 -- ; DELETE FROM t",
        "SELECT 1 -- nextval('s')\n, 2",
        "SELECT x /* ; */ FROM t",
        "SELECT nextval FROM t",
        "SELECT t.\"setval\" FROM t",
        "SELECT 'nextval' ('x')",
        "SELECT 'x' AS nextval_like FROM t",
    })
    void triggerWordsInLiteralsQuotesAndCommentsDoNotCount(String sql) {
        assertThat(safe(sql)).as(sql).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 1; INSERT INTO t VALUES (1)",
        "SELECT 1; UPDATE t SET a = 1; SELECT 2",
        "INSERT INTO t VALUES (1); SELECT 1",
        "SELECT 1; SET search_path = x",
        "SELECT 1; COMMIT",
        "SELECT 1; SELECT nextval('s')",
        "SELECT 1; SELECT * FROM t FOR UPDATE",
        "SELECT 'a;b'; DELETE FROM t",
        "SELECT $$;$$; DELETE FROM t",
    })
    void everyStatementOfATextMustRead(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "   ",
        ";",
        " ; ; ",
        "/* only a comment */",
        "-- only a comment",
        "SELECT 'unterminated",
        "SELECT \"unterminated",
        "SELECT 1 /* unterminated",
        "SELECT $$ unterminated",
        "SELECT $tag$ unterminated $tag",
        "SELECT (1; DELETE FROM t)",
        "SELECT U&\"\\006Eextval\"('s')",
        "SELECT u&\"x\" FROM t",
        "\"select\" 1",
        "123",
        "(((",
        ")))",
        "$$",
        "selectx 1",
        "VALUES (SELECT 1)",
        "'SELECT 1'",
        "\u0000SELECT 1",
    })
    void malformedOrUnsureTextStaysOnTheLeader(String sql) {
        assertThat(safe(sql)).as(sql).isFalse();
    }

    @Test
    void nullStaysOnTheLeader() {
        assertThat(safe(null)).isFalse();
    }

    @Test
    void leaderOnlyNeverRoutesAReadAndParsesNothing() {
        assertThat(StatementClassifier.LEADER_ONLY.replicaSafe("SELECT 1")).isFalse();
        assertThat(StatementClassifier.LEADER_ONLY.routesReads()).isFalse();
        assertThat(classifier.routesReads()).isTrue();
    }

    @Test
    void listedWriteFunctionsAreMatchedInAnyCase() {
        StatementClassifier replica = new StatementClassifier(List.of("Audit_Insert"));
        assertThat(replica.replicaSafe("SELECT 1")).isTrue();
        assertThat(replica.replicaSafe("SELECT audit_insert(1)")).isFalse();
        assertThat(replica.replicaSafe("SELECT nextval('s')")).isFalse();
    }

    @Test
    void aCachedAnswerIsTheSameAnswer() {
        String read = "SELECT * FROM t WHERE id = ?";
        String write = "SELECT * FROM t FOR UPDATE";
        for (int i = 0; i < 3; i++) {
            assertThat(safe(read)).isTrue();
            assertThat(safe(write)).isFalse();
            // equal text in another String object hits the same entry
            assertThat(safe(new String(read.toCharArray()))).isTrue();
        }
    }

    @Test
    void aHugeTextIsClassifiedButNotKept() {
        StringBuilder sql = new StringBuilder("SELECT 1");
        while (sql.length() <= StatementClassifier.CACHE_CHARS) {
            sql.append(", 1");
        }
        assertThat(safe(sql.toString())).isTrue();
        assertThat(safe(sql + ", nextval('s')")).isFalse();
        assertThat(classifier.cachedTexts()).isZero();
        assertThat(safe("SELECT 1")).isTrue();
        assertThat(classifier.cachedTexts()).isOne();
    }

    @Test
    void theCacheIsBoundedByTheLengthOfItsTexts() {
        String padding = "x".repeat(1000);
        for (int i = 0; i < 3_000; i++) {
            assertThat(safe("SELECT '" + padding + "', " + i)).isTrue();
        }
        assertThat(classifier.cachedTexts()).isLessThanOrEqualTo(StatementClassifier.CACHE_CHARS / 1000);
    }

    @Test
    void theCacheIsSafeAcrossThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    boolean ok = true;
                    for (int i = 0; i < 5_000; i++) {
                        int k = i % 300;
                        ok &= safe("SELECT " + k) && !safe("SELECT nextval('s" + k + "')");
                    }
                    return ok;
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCacheHitAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        String read = "SELECT * FROM orders WHERE customer_id = ? AND status = ?";
        String write = "SELECT * FROM orders WHERE id = ? FOR UPDATE";
        boolean all = true;
        for (int i = 0; i < 20_000; i++) {
            all &= safe(read) && !safe(write);
        }
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            all &= safe(read) && !safe(write);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertThat(all).isTrue();
        // 200,000 lookups: anything per lookup would be megabytes; the slack is for the measurement itself
        assertThat(allocated).isLessThan(64 * 1024);
    }

    @Test
    void longPathologicalTextsAreClassifiedInLinearTime() {
        String[] units = {"/*", "'", "\"", "$$", "$a$", "((", "--\n", "nextval ", "/* */ ", "a.b.c ", "'x'"};
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (String unit : units) {
                String body = unit.repeat(200_000 / unit.length());
                assertThat(StatementClassifier.classify("SELECT " + body, Set.of())).as(unit).isIn(true, false);
                assertThat(StatementClassifier.classify("SELECT 1 " + body + " FOR UPDATE", Set.of()))
                        .as(unit).isFalse();
            }
        });
    }

    /**
     * Random text built from SQL fragments and raw characters: never an exception, never a hang, and the answer
     * does not depend on the cache. A text with a writing keyword outside any quote is never read-safe: checked on
     * fragments that need no quoting context.
     */
    @Test
    void randomTextNeverThrowsOrHangs() {
        String[] fragments = {"SELECT ", "select", " 1", ",", ";", "(", ")", "'", "''", "\"", "$$", "$a$", "$", "--",
            "\n", "/*", "*/", "E'", "\\", "nextval(", "FOR UPDATE", "WITH x AS (", "INSERT INTO t", "U&\"", "?",
            "pgcluster:leader", " FROM t", "VALUES", "TABLE t", "é", "\u0000", "&", "x.y", "1e5"};
        Random random = new Random(42);
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        int texts = 0;
        while (System.nanoTime() < deadline && texts < 200_000) {
            StringBuilder sql = new StringBuilder();
            int parts = random.nextInt(12);
            for (int p = 0; p < parts; p++) {
                if (random.nextInt(5) == 0) {
                    sql.append((char) random.nextInt(0x3000));
                } else {
                    sql.append(fragments[random.nextInt(fragments.length)]);
                }
            }
            String text = sql.toString();
            assertThatCode(() -> {
                boolean first = safe(text);
                assertThat(safe(text)).as(text).isEqualTo(first);
                assertThat(StatementClassifier.classify(text, Set.of("audit_insert", "bump$counter")))
                        .as(text).isEqualTo(first);
            }).doesNotThrowAnyException();
            texts++;
        }
        assertThat(texts).isGreaterThan(1_000);
    }

    @Test
    void aWriteAppendedAfterAnyReadIsNeverReadSafe() {
        String[] reads = {"SELECT 1", "SELECT 'a' FROM t", "VALUES (1)", "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT $$x$$", "SELECT 1 /* c */", "SELECT \"c\" FROM t"};
        String[] writes = {"; DELETE FROM t", " FOR UPDATE", "; SELECT nextval('s')", "; SELECT audit_insert(1)",
            " /*pgcluster:leader*/"};
        for (String r : reads) {
            assertThat(safe(r)).as(r).isTrue();
            for (String w : writes) {
                assertThat(safe(r + w)).as(r + w).isFalse();
            }
        }
    }
}
