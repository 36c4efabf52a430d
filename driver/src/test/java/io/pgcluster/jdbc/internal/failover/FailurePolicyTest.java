package io.pgcluster.jdbc.internal.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.internal.failover.FailurePolicy.Decision;
import io.pgcluster.testkit.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every path of docs/failover.md's table "What your code sees" that a bound connection decides, without a cluster:
 * each case names the row of the table it covers (its first column, verbatim; {@link #everyNamedRowIsInTheDoc}
 * keeps them in step), the facts, and the decision and SQLState the row promises.
 */
class FailurePolicyTest {

    /** One path: the doc row, what happened, and what the caller must see. */
    record Row(String docRow, String facts, Supplier<Decision> decide, Decision expected) {
        @Override
        public String toString() {
            return docRow + " [" + facts + "]";
        }
    }

    private static boolean connectionFailure(String sqlState) {
        return Failures.isConnectionFailure(new SQLException("simulated", sqlState));
    }

    /**
     * statementFailed(connectionFailure, bound, autoCommit, readOnly, onWritePool, first, canRunAgain).
     */
    private static Row statement(String docRow, String facts, boolean autoCommit, boolean readOnly,
            boolean onWritePool, boolean first, boolean canRunAgain, Decision expected) {
        return new Row(docRow, facts, () -> FailurePolicy.statementFailed(true, true, autoCommit, readOnly,
                onWritePool, first, canRunAgain), expected);
    }

    /** A statement whose SQL text the classifier found to only read (autoCommitReads=replica, flag unset). */
    private static Row classifiedRead(String facts, boolean autoCommit, boolean onWritePool, boolean first,
            boolean canRunAgain, Decision expected) {
        return new Row(CLASSIFIED_READ, facts, () -> FailurePolicy.statementFailed(true, true, autoCommit, false,
                onWritePool, first, canRunAgain, true), expected);
    }

    private static final String CLASSIFIED_READ = "Auto-commit statement whose SQL text only reads "
            + "(`autoCommitReads=replica`, read-only flag unset), on a replica or on the leader";

    private static final String READ_ONLY_LEADER_TEXT = "Read-only statement, auto-commit on, on the leader (the "
            + "fallback, or sent there for freshness by read-your-writes), whose SQL text only reads";
    private static final String STANDBY = "A write on the leader's connection refused with `25006` by a server in "
            + "recovery (a demoted leader behind a per-node pooler that kept the session)";

    static Stream<Row> rows() {
        return Stream.of(
                classifiedRead("on a replica", true, false, true, true, Decision.REPLAY),
                classifiedRead("on the leader (readFallback=leader): the text vouches, not the flag", true, true,
                        true, true, Decision.REPLAY),
                classifiedRead("cannot be run again (streams, no attempts left): 08006, never 08007", true, true,
                        true, false, Decision.TRANSACTION_LOST),
                new Row("A later statement inside a transaction", "a text verdict does not count in a transaction",
                        () -> FailurePolicy.statementFailed(true, true, false, false, true, false, true, true),
                        Decision.TRANSACTION_LOST),
                new Row("Read-write statement, auto-commit on", "text not found to only read",
                        () -> FailurePolicy.statementFailed(true, true, true, false, true, true, true, false),
                        Decision.OUTCOME_UNKNOWN),
                statement("Read-only statement, auto-commit on, bound to a replica", "replayable", true, true, false,
                        true, true, Decision.REPLAY),
                statement("Read-only statement, auto-commit on, bound to a replica",
                        "a batch, streams, a call, or no attempts left", true, true, false, true, false,
                        Decision.TRANSACTION_LOST),
                statement("Read-only statement, auto-commit on, on the leader (`readFallback=leader`)", "replayable",
                        true, true, true, true, true, Decision.TRANSACTION_LOST),
                new Row(READ_ONLY_LEADER_TEXT, "the text only reads",
                        () -> FailurePolicy.statementFailed(true, true, true, true, true, true, true, true),
                        Decision.REPLAY),
                new Row(READ_ONLY_LEADER_TEXT, "the text only reads, cannot be run again",
                        () -> FailurePolicy.statementFailed(true, true, true, true, true, true, false, true),
                        Decision.TRANSACTION_LOST),
                new Row(STANDBY, "auto-commit", () -> FailurePolicy.refusedByStandby(true, false, true),
                        Decision.REPLAY),
                new Row(STANDBY, "the first of a transaction", () -> FailurePolicy.refusedByStandby(false, true, true),
                        Decision.REPLAY),
                new Row(STANDBY, "a later statement", () -> FailurePolicy.refusedByStandby(false, false, true),
                        Decision.TRANSACTION_LOST),
                new Row(STANDBY, "a batch, or no attempts left", () -> FailurePolicy.refusedByStandby(true, true,
                        false), Decision.TRANSACTION_LOST),
                statement("First statement of a transaction (nothing before it can be lost)", "read-write, leader",
                        false, false, true, true, true, Decision.REPLAY),
                statement("First statement of a transaction (nothing before it can be lost)", "read-only, replica",
                        false, true, false, true, true, Decision.REPLAY),
                statement("First statement of a transaction (nothing before it can be lost)",
                        "cannot be re-created (a batch, streams, a call) or no attempts left", false, false, true,
                        true, false, Decision.TRANSACTION_LOST),
                statement("A later statement inside a transaction", "read-write", false, false, true, false, true,
                        Decision.TRANSACTION_LOST),
                statement("A later statement inside a transaction", "read-only, replica", false, true, false, false,
                        true, Decision.TRANSACTION_LOST),
                statement("Read-write statement, auto-commit on", "leader", true, false, true, true, true,
                        Decision.OUTCOME_UNKNOWN),
                new Row("A later statement inside a transaction", "a savepoint call",
                        () -> FailurePolicy.callFailed(true, true, false), Decision.TRANSACTION_LOST),
                new Row("Read-write statement, auto-commit on", "a savepoint call in auto-commit mode: as it is",
                        () -> FailurePolicy.callFailed(true, true, true), Decision.RETHROW),
                new Row("`COMMIT` of a read-write transaction", "connection failure at COMMIT",
                        () -> FailurePolicy.commitFailed(true, false), Decision.OUTCOME_UNKNOWN),
                new Row("`COMMIT` of a read-only transaction", "connection failure at COMMIT",
                        () -> FailurePolicy.commitFailed(true, true), Decision.SUCCEED),
                new Row("`COMMIT` of a read-write transaction", "not a connection failure (e.g. 40001): as it is",
                        () -> FailurePolicy.commitFailed(connectionFailure("40001"), false), Decision.RETHROW),
                new Row("`COMMIT` of a read-write transaction whose leader lost the leader key before it",
                        "write pool retired before COMMIT", () -> FailurePolicy.beforeCommit(true, true, false),
                        Decision.TRANSACTION_LOST),
                new Row("`COMMIT` of a read-write transaction whose leader lost the leader key before it",
                        "session already closed by the pool", () -> FailurePolicy.beforeCommit(true, false, true),
                        Decision.TRANSACTION_LOST),
                new Row("`COMMIT` of a read-only transaction", "session already closed, nothing written",
                        () -> FailurePolicy.beforeCommit(false, false, true), Decision.SUCCEED),
                new Row("`COMMIT` of a read-only transaction", "leader retired, nothing written: COMMIT is sent",
                        () -> FailurePolicy.beforeCommit(false, true, false), Decision.RETHROW),
                new Row("`COMMIT` that succeeded while its leader lost the leader key", "write pool retired meanwhile",
                        () -> FailurePolicy.afterCommit(true, true), Decision.OUTCOME_UNKNOWN),
                new Row("`COMMIT` of a read-write transaction", "succeeded, leader still in service",
                        () -> FailurePolicy.afterCommit(true, false), Decision.SUCCEED),
                new Row("`COMMIT` of a read-only transaction", "succeeded on a retired pool: nothing written",
                        () -> FailurePolicy.afterCommit(false, true), Decision.SUCCEED),
                notAConnectionFailure("The calling thread was interrupted while pgcluster waited for a connection "
                        + "(a leader, a replica, a pool)", SqlStates.INTERRUPTED),
                notAConnectionFailure("The member's TLS certificate does not verify or does not name its address "
                        + "(`sslmode=verify-full`)", SqlStates.SERVER_NOT_TRUSTED),
                notAConnectionFailure("The member refused the login: wrong password (`28P01`), not authorized "
                        + "(`28000`), database missing (`3D000`)", "28P01"),
                notAConnectionFailure("The member refused the login: wrong password (`28P01`), not authorized "
                        + "(`28000`), database missing (`3D000`)", SqlStates.INVALID_CATALOG_NAME),
                notAConnectionFailure("The driver would need a shared cluster beyond its cap "
                        + "(`-Dpgcluster.maxSharedClusters`) and none is idle", SqlStates.TOO_MANY_CONNECTIONS),
                new Row("A later statement inside a transaction", "nothing bound: as it is",
                        () -> FailurePolicy.statementFailed(true, false, false, false, true, false, true),
                        Decision.RETHROW));
    }

    /** A failure that is no connection failure passes through as it is, whatever the state. */
    private static Row notAConnectionFailure(String docRow, String sqlState) {
        return new Row(docRow, sqlState, () -> {
            boolean c = connectionFailure(sqlState);
            Decision inTx = FailurePolicy.statementFailed(c, true, false, false, true, false, true);
            Decision auto = FailurePolicy.statementFailed(c, true, true, true, false, true, true);
            return inTx == auto ? inTx : null;
        }, Decision.RETHROW);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void decidesAsTheDocSays(Row row) {
        assertThat(row.decide().get()).as(row.toString()).isEqualTo(row.expected());
    }

    @Test
    void everyNamedRowIsInTheDoc() throws IOException {
        String doc = Files.readString(docFile(), StandardCharsets.UTF_8);
        rows().forEach(r -> assertThat(doc).as("docs/failover.md row").contains("| " + r.docRow() + " |"));
    }

    /** The rows of the doc's table that are decided before any statement runs are not this class's: 08001. */
    @Test
    void waitingForAServerEndsIn08001ThatInTransactionDoesNotRunAgain() {
        SQLException noLeader = new ClusterUnavailableException("no leader", null);
        assertThat(noLeader.getSQLState()).isEqualTo(SqlStates.UNABLE_TO_CONNECT);
        assertThat(Failures.isRetryable(noLeader)).isFalse();
    }

    @Test
    void theExceptionsCarryTheDocumentedStates() {
        SQLException cause = new SQLException("I/O error", "08006");
        assertThat(List.of(FailurePolicy.lostInTransaction("pg1", cause), FailurePolicy.standbyRefused("pg1", cause),
                FailurePolicy.lostInTransactionCall("pg1", cause), FailurePolicy.readOnlyStatementLost("pg1", cause), FailurePolicy.stillLost("pg1"),
                FailurePolicy.lostBeforeCommit("pg1"), FailurePolicy.sessionClosedBeforeCommit("pg1"),
                FailurePolicy.leaderLostBeforeCommit("pg1"))).extracting(SQLException::getSQLState)
                .containsOnly(SqlStates.TRANSACTION_LOST);
        assertThat(List.of(FailurePolicy.autoCommitOutcomeUnknown("pg1", cause),
                FailurePolicy.commitOutcomeUnknown("pg1", cause), FailurePolicy.leaderLostDuringCommit("pg1")))
                .extracting(SQLException::getSQLState).containsOnly(SqlStates.OUTCOME_UNKNOWN);
        assertThat(FailurePolicy.cannotRecreate().getSQLState()).isEqualTo(SqlStates.CONNECTION_CLOSED);
        assertThat(FailurePolicy.leaderLostBeforeCommit("pg1").getMessage()).contains("pg1 lost the leader key before COMMIT");
    }

    private static Path docFile() {
        return Repository.root().resolve("docs").resolve("failover.md");
    }
}
