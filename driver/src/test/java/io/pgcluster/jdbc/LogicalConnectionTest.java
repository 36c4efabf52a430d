package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.internal.metrics.ClusterMetricsHub;
import io.pgcluster.jdbc.internal.routing.MemberPool;
import io.pgcluster.jdbc.internal.routing.Pools;
import io.pgcluster.jdbc.internal.routing.Router;
import io.pgcluster.jdbc.internal.routing.StatementClassifier;
import io.pgcluster.jdbc.internal.routing.WritePositions;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * LogicalConnection without a cluster: the cluster's part (borrowing a connection, metrics, asking the topology to
 * look again) is stood in for, physical connections are fakes that record what is called on them and fail on
 * demand with a connection failure. Real member pools (pointing at a closed port, never connecting) give the
 * leases their member names and the leader's retirement.
 */
class LogicalConnectionTest {
    private static final SQLException IO_ERROR = new SQLException("An I/O error occurred", "08006");

    private ScheduledExecutorService executor;
    private Pools pools;
    private ClusterView view;
    private Router router;
    private int closedPort;
    /** Every call on every fake physical connection and statement, in order, as "member: call". */
    private final List<String> calls = new ArrayList<>();
    /** How many executions fail next, whichever fake they run on. */
    private ClusterMetricsHub metrics;
    /** Read-your-writes off: the fakes answer no queries for WAL positions. */
    private WritePositions positions;
    private int failures;
    private boolean failCommit;
    private int refreshes;
    private int borrowed;
    /** The cluster's classifier: the default leaves every auto-commit statement on the leader. */
    private StatementClassifier classifier = StatementClassifier.LEADER_ONLY;
    /** The cluster's classifier of texts whatever routing does (read-your-writes' one); none by default. */
    private StatementClassifier texts = StatementClassifier.LEADER_ONLY;
    /** What a failing execution throws. */
    private SQLException failWith = IO_ERROR;
    /** What {@code pg_is_in_recovery()} answers on every fake. */
    private boolean inRecovery;
    /** Whether the connection under test goes through a transaction pooler ({@code pooler=node}). */
    private boolean pooler;

    @BeforeEach
    void setUp() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        PgClusterConfig config = PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo").database("app")
                .user("app").password("pw").set("minIdle", "0").build();
        executor = Executors.newSingleThreadScheduledExecutor();
        view = new ClusterView("demo");
        pools = new Pools("demo", config, new ServerConnector(config), executor, view::requestRefresh);
        metrics = new ClusterMetricsHub(view.current());
        positions = new WritePositions(PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo")
                .database("app").user("app").set("readYourWrites", "off").build());
        router = new Router(config, view, metrics);
        view.addListener((previous, current) -> router.update(current, pools.apply(previous, current)));
        publish("pg1", "pg2", "pg3");
    }

    @AfterEach
    void tearDown() {
        pools.close();
        executor.shutdownNow();
    }

    private void publish(String leader, String... replicas) {
        Topology.Builder b = Topology.builder("demo").member(member(leader, Role.PRIMARY));
        for (String r : replicas) {
            b.member(member(r, Role.REPLICA));
        }
        view.publish(b.leader(leader).build());
    }

    private Member member(String name, Role role) {
        return new Member(name, "127.0.0.1", closedPort, role, "running", 1, 100, 0, Map.of(), null);
    }

    /** The connection under test, with the cluster stood in for. */
    private LogicalConnection connection() {
        return new LogicalConnection(null) {
            @Override
            String clusterName() {
                return "demo";
            }

            @Override
            Connection acquire(boolean readOnly, MemberPool avoid, long deadlineNanos) {
                assertThat(deadlineNanos - System.nanoTime()).as("one deadline, failoverTimeout ahead")
                        .isPositive().isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(30));
                MemberPool pool = router.table().leader();
                MemberPool[] readers = router.table().readers();
                if (readOnly && readers.length > 0) { // else the fallback to the leader
                    pool = readers[0] == avoid ? readers[1] : readers[0];
                }
                borrowed++;
                borrowedFrom(pool);
                return fake(Connection.class, pool.member().name());
            }

            @Override
            ClusterMetricsHub metrics() {
                return metrics;
            }

            @Override
            StatementClassifier classifier() {
                return classifier;
            }

            @Override
            StatementClassifier texts() {
                return texts;
            }

            @Override
            WritePositions positions() {
                return positions;
            }

            @Override
            void requestRefresh() {
                refreshes++;
            }

            @Override
            long failoverTimeoutNanos() {
                return TimeUnit.SECONDS.toNanos(30);
            }

            @Override
            int maxStatementAttempts() {
                return 3;
            }

            @Override
            boolean throughPooler() {
                return pooler;
            }
        };
    }

    /** A fake JDBC object of {@code type} on {@code member}: records calls, fails executions on demand. */
    private <T> T fake(Class<T> type, String member) {
        boolean[] closed = {false};
        InvocationHandler h = (proxy, method, args) -> {
            String name = method.getName();
            calls.add(member + ": " + name + (args == null ? "" : Arrays.toString(args)));
            if (name.equals("commit") && failCommit) {
                throw IO_ERROR;
            }
            boolean roleCheck = args != null && String.valueOf(args[0]).contains("pg_is_in_recovery");
            if (name.startsWith("execute") && failures > 0 && !roleCheck) {
                failures--;
                throw failWith;
            }
            switch (name) {
                case "isClosed":
                    return closed[0];
                case "close":
                    closed[0] = true;
                    return null;
                case "createStatement":
                    return fake(Statement.class, member);
                case "prepareStatement":
                    return fake(PreparedStatement.class, member);
                case "prepareCall":
                    return fake(CallableStatement.class, member);
                case "executeQuery":
                    return fake(ResultSet.class, member);
                case "getTypeMap":
                    return new HashMap<>();
                case "getBoolean":
                    return inRecovery; // the only boolean query: pg_is_in_recovery()
                case "getString":
                    return "0/3000148"; // the only text query: pg_current_wal_insert_lsn()
                case "toString":
                    return "fake " + type.getSimpleName() + " on " + member;
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    break;
            }
            Class<?> r = method.getReturnType();
            if (r == boolean.class) {
                return Boolean.TRUE;
            }
            if (r == int.class) {
                return Integer.valueOf(1);
            }
            return r == long.class ? (Object) Long.valueOf(1) : null;
        };
        return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h));
    }

    private List<String> callsNamed(String name) {
        return calls.stream().filter(c -> c.contains(": " + name)).collect(java.util.stream.Collectors.toList());
    }

    @Test
    void bindsLazilyAtTheFirstStatementByTheReadOnlyFlag() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            assertThat(c.boundMember()).isNull();
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT 1");
            }
            assertThat(c.boundMember()).isEqualTo("pg2");
            c.setReadOnly(false); // between transactions: returns the replica's connection
            assertThat(c.boundMember()).isNull();
            c.createStatement().executeUpdate("INSERT 1");
            assertThat(c.boundMember()).isEqualTo("pg1");
        }
    }

    @Test
    void aReadOnlyAutoCommitStatementOnAReplicaRunsAgainElsewhereWithItsParameters() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            PreparedStatement ps = c.prepareStatement("SELECT ?, ?");
            ps.setInt(1, 42);
            ps.setString(2, "x");
            ps.setFetchSize(50);
            ps.setQueryTimeout(3);
            failures = 1;
            assertThat(ps.executeQuery()).isNotNull();
            assertThat(c.boundMember()).isEqualTo("pg3");
            assertThat(refreshes).isEqualTo(1);
            assertThat(calls).contains("pg3: prepareStatement[SELECT ?, ?]", "pg3: setFetchSize[50]",
                    "pg3: setQueryTimeout[3]", "pg3: setInt[1, 42]", "pg3: setString[2, x]", "pg3: executeQuery");
        }
    }

    /**
     * A statement created in a form with more than its SQL keeps that form (in its lazily made log) and is created
     * the same way elsewhere; the usual forms keep none, and a statement of each kind says it is closed once closed.
     */
    @Test
    void aStatementRunsAgainElsewhereCreatedTheWayItWasAndClosedIsClosed() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            PreparedStatement ps = c.prepareStatement("SELECT ?", ResultSet.TYPE_SCROLL_INSENSITIVE,
                    ResultSet.CONCUR_READ_ONLY);
            ps.setInt(1, 7);
            failures = 1;
            assertThat(ps.executeQuery()).isNotNull();
            assertThat(calls).contains("pg2: prepareStatement[SELECT ?, 1004, 1007]",
                    "pg3: prepareStatement[SELECT ?, 1004, 1007]", "pg3: setInt[1, 7]", "pg3: executeQuery");
            Statement s = c.createStatement();
            PreparedStatement usual = c.prepareStatement("SELECT 1");
            assertThat(calls).contains("pg3: createStatement", "pg3: prepareStatement[SELECT 1]");
            for (Statement st : List.of(ps, s, usual)) {
                assertThat(st.isClosed()).isFalse();
                st.close();
                assertThat(st.isClosed()).isTrue();
                st.close(); // again: nothing
                assertThatThrownBy(() -> st.setFetchSize(1)).extracting(e -> ((SQLException) e).getSQLState())
                        .isEqualTo(SqlStates.OBJECT_NOT_IN_STATE);
            }
            assertThatThrownBy(() -> ps.setInt(1, 8)).as("a parameter of a closed statement")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.OBJECT_NOT_IN_STATE);
        }
    }

    /** A stream parameter, or a pending batch, cannot be given twice; a run or cleared batch no longer counts. */
    @Test
    void aStatementThatCannotBeGivenTwiceIsNotRunAgain() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            PreparedStatement ps = c.prepareStatement("SELECT ?");
            ps.setBinaryStream(1, new ByteArrayInputStream(new byte[1]));
            failures = 1;
            assertThatThrownBy(ps::executeQuery).isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
            PreparedStatement batch = c.prepareStatement("SELECT ?");
            batch.setInt(1, 1);
            batch.addBatch();
            batch.clearBatch();
            failures = 1;
            assertThat(batch.executeQuery()).as("cleared: runs again").isNotNull();
            batch.addBatch();
            failures = 1;
            assertThatThrownBy(batch::executeQuery).as("pending: not run again")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
        }
    }

    @Test
    void attemptsAreBoundedByStatementMaxAttempts() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            Statement s = c.createStatement();
            failures = 10;
            assertThatThrownBy(() -> s.executeQuery("SELECT 1")).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.TRANSACTION_LOST);
            assertThat(callsNamed("executeQuery")).as("statementMaxAttempts = 3").hasSize(3);
        }
    }

    @Test
    void aReadWriteAutoCommitStatementFailsWithOutcomeUnknown() throws SQLException {
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            failures = 1;
            assertThatThrownBy(() -> s.executeUpdate("INSERT 1")).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.OUTCOME_UNKNOWN);
            assertThat(callsNamed("executeUpdate")).hasSize(1);
        }
    }

    @Test
    void aReadOnlyReadTheLeaderRanRunsAgainWhenItsTextOnlyReads() throws SQLException {
        publish("pg1"); // no replica: read-only work falls back to the leader (as a fresh read may go there too)
        texts = new StatementClassifier(Set.of());
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            Statement s = c.createStatement();
            failures = 1;
            assertThat(s.executeQuery("SELECT 1")).isNotNull();
            assertThat(callsNamed("executeQuery")).containsExactly("pg1: executeQuery[SELECT 1]",
                    "pg1: executeQuery[SELECT 1]");
            failures = 1;
            assertThatThrownBy(() -> s.executeQuery("SELECT nextval('s')")).as("the flag alone does not stop a write "
                    + "in auto-commit mode on the leader").extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.TRANSACTION_LOST);
        }
    }

    @Test
    void withoutAClassifierAReadOnlyReadTheLeaderRanIsReportedLost() throws SQLException {
        publish("pg1");
        try (LogicalConnection c = connection()) {
            c.setReadOnly(true);
            Statement s = c.createStatement();
            failures = 1;
            assertThatThrownBy(() -> s.executeQuery("SELECT 1")).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.TRANSACTION_LOST);
        }
    }

    private static final SQLException READ_ONLY_REFUSAL = new SQLException(
            "ERROR: cannot execute INSERT in a read-only transaction", SqlStates.READ_ONLY_SQL_TRANSACTION);

    @Test
    void aWriteAStandbyRefusedOnTheLeadersConnectionRunsAgainOnTheLeader() throws SQLException {
        failWith = READ_ONLY_REFUSAL;
        inRecovery = true; // a demoted leader behind a pooler that kept the session
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            failures = 1;
            assertThat(s.executeUpdate("INSERT 1")).isEqualTo(1);
            assertThat(callsNamed("executeUpdate")).hasSize(2);
            assertThat(refreshes).as("the topology is looked at again").isEqualTo(1);
            c.setAutoCommit(false);
            failures = 1;
            s.executeUpdate("INSERT 2"); // the first of a transaction: rolled back there, run again
            assertThat(callsNamed("rollback")).hasSize(1);
            assertThat(callsNamed("executeUpdate")).hasSize(4);
            failures = 1;
            assertThatThrownBy(() -> s.executeUpdate("INSERT 3")).as("a later one loses the transaction")
                    .hasMessageContaining("is no longer the leader").hasMessageContaining("nothing was written")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
            assertThatThrownBy(c::commit).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.TRANSACTION_LOST);
        }
    }

    private static final String SET_SERIALIZABLE = "execute[SET TRANSACTION ISOLATION LEVEL SERIALIZABLE]";

    /**
     * Behind a transaction pooler the isolation level is never set for the session (it would stay on a server
     * session another client gets): it is recorded, and set as the first thing of each transaction, on the member
     * the transaction runs on, also after its first statement moved there.
     */
    @Test
    void behindAPoolerTheIsolationLevelIsSetInEachTransactionNeverForTheSession() throws SQLException {
        pooler = true;
        try (LogicalConnection c = connection()) {
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
            Statement s = c.createStatement();
            s.executeQuery("SELECT 1");
            assertThat(callsNamed("execute[SET")).as("auto-commit: nothing").isEmpty();

            c.setAutoCommit(false);
            s.executeUpdate("INSERT 1");
            s.executeUpdate("INSERT 2");
            c.commit();
            assertThat(calls).containsSubsequence("pg1: " + SET_SERIALIZABLE, "pg1: executeUpdate[INSERT 1]",
                    "pg1: executeUpdate[INSERT 2]", "pg1: commit");
            assertThat(callsNamed("execute[SET")).as("once per transaction").hasSize(1);

            failures = 1; // the SET itself fails: the first statement moves, and the SET with it
            s.executeUpdate("INSERT 3");
            assertThatThrownBy(() -> c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED))
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.ACTIVE_TRANSACTION);
            c.rollback();
            assertThat(callsNamed("execute[SET")).hasSize(3);
            List<String> tail = calls.subList(calls.lastIndexOf("pg1: " + SET_SERIALIZABLE), calls.size());
            assertThat(tail).as("the statement after the SET on the connection it moved to")
                    .filteredOn(x -> x.contains(": execute")).containsExactly("pg1: " + SET_SERIALIZABLE,
                            "pg1: executeUpdate[INSERT 3]");
            assertThat(borrowed).as("moved to a new physical connection").isEqualTo(2);

            c.setSavepoint(); // a transaction that begins with a savepoint
            c.rollback();
            assertThat(callsNamed("execute[SET")).hasSize(4);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            s.executeUpdate("INSERT 4");
            c.commit();
            assertThat(callsNamed("execute[SET").get(4)).endsWith("[SET TRANSACTION ISOLATION LEVEL REPEATABLE READ]");
            assertThat(callsNamed("setTransactionIsolation")).as("never pgjdbc's SET SESSION").isEmpty();
            assertThatThrownBy(() -> c.setTransactionIsolation(Connection.TRANSACTION_NONE))
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.INVALID_PARAMETER);
        }
    }

    @Test
    void withoutAPoolerTheIsolationLevelIsPgjdbcsForTheSession() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT 1");
            c.commit();
            assertThat(callsNamed("setTransactionIsolation")).containsExactly("pg1: setTransactionIsolation[8]");
            assertThat(callsNamed("execute[SET")).isEmpty();
        }
    }

    @Test
    void aReadOnlyRefusalFromAServerNotInRecoveryIsTheApplicationsOwn() throws SQLException {
        failWith = READ_ONLY_REFUSAL; // e.g. SET default_transaction_read_only on the leader
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            failures = 1;
            assertThatThrownBy(() -> s.executeUpdate("INSERT 1")).isSameAs(READ_ONLY_REFUSAL);
            assertThat(callsNamed("executeUpdate")).hasSize(1);
            assertThat(refreshes).isZero();
        }
    }

    @Test
    void theFirstStatementOfATransactionRunsAgainALaterOneLosesTheTransactionUntilRollback() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setAutoCommit(false);
            Statement s = c.createStatement();
            failures = 1;
            s.executeUpdate("INSERT 1"); // first: run again on the (same) leader, invisibly
            assertThat(callsNamed("executeUpdate")).hasSize(2);
            failures = 1;
            assertThatThrownBy(() -> s.executeUpdate("INSERT 2")).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.TRANSACTION_LOST);
            assertThatThrownBy(() -> s.executeUpdate("INSERT 3")).as("every call until rollback")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
            assertThatThrownBy(c::commit).as("commit ends it").extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.TRANSACTION_LOST);
            s.executeUpdate("INSERT 4"); // a new transaction, on a new physical connection
            c.commit();
            assertThat(callsNamed("commit")).hasSize(1);
        }
    }

    @Test
    void commitFailuresReadWriteUnknownReadOnlyNothingToCommit() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT 1");
            failCommit = true;
            assertThatThrownBy(c::commit).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.OUTCOME_UNKNOWN);
            c.setReadOnly(true);
            c.createStatement().executeQuery("SELECT 1");
            c.commit(); // a read-only transaction had nothing to commit
            assertThat(c.boundMember()).as("the failed connection was dropped").isNull();
        }
    }

    @Test
    void rollbackAfterAStatementKeepsTheConnection() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT 1");
            Connection physical = c.boundPhysical();
            calls.clear();
            c.rollback();
            assertThat(calls).containsExactly("pg1: isClosed", "pg1: rollback");
            assertThat(c.boundPhysical()).isSameAs(physical);
        }
    }

    @Test
    void aCommitWhoseLeaderLostTheLeaderKeyIsNeverSent() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT 1");
            publish("pg2", "pg1", "pg3"); // pg1's write pool is retired
            assertThatThrownBy(c::commit).hasMessageContaining("pg1 lost the leader key before COMMIT")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
            assertThat(callsNamed("commit")).isEmpty();
            assertThat(callsNamed("rollback")).hasSize(1);
        }
    }

    /**
     * A switchover away from the leader is announced (its pool drains): the open transaction keeps its connection
     * and commits there; between transactions the connection is given back, so that the next transaction's first
     * statement goes through the router, which holds it for the new leader.
     */
    @Test
    void aDrainingLeaderKeepsTheOpenTransactionAndIsLeftBetweenTransactions() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setAutoCommit(false);
            c.createStatement().executeUpdate("INSERT 1");
            Connection physical = c.boundPhysical();
            view.publish(Topology.builder("demo").member(member("pg1", Role.PRIMARY))
                    .member(member("pg2", Role.REPLICA)).member(member("pg3", Role.REPLICA)).leader("pg1")
                    .pendingSwitchover(new Topology.Switchover("pg1", "pg2", null)).build());
            c.createStatement().executeUpdate("INSERT 2");
            c.commit();
            assertThat(c.boundPhysical()).as("in flight: stays").isSameAs(physical);
            assertThat(callsNamed("commit")).hasSize(1);
            assertThat(borrowed).isEqualTo(1);

            c.createStatement().executeUpdate("INSERT 3");
            // (the stand-in router hands out pg1 again, where the real one would hold the statement)
            assertThat(borrowed).as("between transactions: given back and bound again through the router")
                    .isGreaterThan(1);
            assertThat(calls).contains("pg1: close");
        }
    }

    @Test
    void sessionPropertiesAreAppliedAtEveryBindingAndResetOnRelease() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setSchema("app");
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            c.setAutoCommit(false);
            assertThat(c.getSchema()).as("recorded, no binding").isEqualTo("app");
            assertThat(borrowed).isZero();
            c.createStatement().executeUpdate("INSERT 1");
            assertThat(calls).contains("pg1: setAutoCommit[false]", "pg1: setSchema[app]",
                    "pg1: setTransactionIsolation[8]");
            c.rollback();
            c.setReadOnly(true); // releases pg1's connection: session state reset before it goes back
            assertThat(calls).contains("pg1: execute[RESET search_path; RESET application_name]", "pg1: close");
            c.createStatement().executeQuery("SELECT 1");
            assertThat(calls).contains("pg2: setSchema[app]", "pg2: setTransactionIsolation[8]");
            assertThat(callsNamed("setReadOnly")).as("a replica pool's connections are read-only already").isEmpty();
        }
    }

    // ---- autoCommitReads=replica ---------------------------------------------------------------------------------

    /** Routes auto-commit statements by their text, with {@code audit_insert} listed as writing. */
    private void routeReads() {
        classifier = new StatementClassifier(Set.of("audit_insert"));
    }

    /** The routing decisions counted, as "read" or "write", in order. */
    private List<String> countRoutingDecisions() {
        List<String> routed = new ArrayList<>();
        metrics.attach(new io.pgcluster.jdbc.internal.metrics.ClusterMetrics() {
            @Override
            public void statementRouted(boolean read) {
                routed.add(read ? "read" : "write");
            }
        });
        return routed;
    }

    @Test
    void autoCommitSelectsGoToAReplicaAndEverythingElseToTheLeaderBackAndForth() throws SQLException {
        routeReads();
        List<String> routed = countRoutingDecisions();
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            assertThat(c.boundMember()).as("a plain statement binds for reading: no wait for a leader").isEqualTo(
                    "pg2");
            s.executeQuery("SELECT 1");
            assertThat(c.boundMember()).isEqualTo("pg2");
            s.executeUpdate("INSERT INTO t VALUES (1)");
            assertThat(c.boundMember()).isEqualTo("pg1");
            s.executeQuery("SELECT 2");
            assertThat(c.boundMember()).isEqualTo("pg2");
            s.execute("UPDATE t SET a = 1");
            assertThat(c.boundMember()).isEqualTo("pg1");
            assertThat(calls).containsSubsequence("pg2: executeQuery[SELECT 1]", "pg1: executeUpdate[INSERT INTO t "
                    + "VALUES (1)]", "pg2: executeQuery[SELECT 2]", "pg1: execute[UPDATE t SET a = 1]");
            assertThat(routed).containsExactly("read", "write", "read", "write");
            assertThat(borrowed).as("one binding per change of kind").isEqualTo(4);
        }
    }

    @Test
    void aPreparedSelectBindsAReplicaAtCreationAndStaysThere() throws SQLException {
        routeReads();
        try (LogicalConnection c = connection()) {
            PreparedStatement ps = c.prepareStatement("SELECT * FROM t WHERE id = ?");
            assertThat(c.boundMember()).isEqualTo("pg2");
            ps.setInt(1, 7);
            ps.executeQuery();
            ps.executeQuery();
            assertThat(borrowed).isEqualTo(1);
            assertThat(callsNamed("executeQuery")).containsOnly("pg2: executeQuery");
            PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (?)");
            assertThat(c.boundMember()).isEqualTo("pg1");
            insert.setInt(1, 1);
            insert.executeUpdate();
            ps.executeQuery(); // moves back, with its parameter
            assertThat(calls).containsSubsequence("pg1: executeUpdate", "pg2: prepareStatement[SELECT * FROM t "
                    + "WHERE id = ?]", "pg2: setInt[1, 7]", "pg2: executeQuery");
        }
    }

    @Test
    void lockingSequencesListedFunctionsTheHintBatchesAndCallsStayOnTheLeader() throws SQLException {
        routeReads();
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            for (String sql : List.of("SELECT * FROM t FOR UPDATE", "SELECT nextval('s')",
                    "SELECT audit_insert(1)", "/* pgcluster:leader */ SELECT 1", "WITH d AS (DELETE FROM t "
                    + "RETURNING *) SELECT * FROM d")) {
                s.executeQuery("SELECT 0");
                assertThat(c.boundMember()).isEqualTo("pg2");
                s.executeQuery(sql);
                assertThat(c.boundMember()).as(sql).isEqualTo("pg1");
                assertThat(calls).last().isEqualTo("pg1: executeQuery[" + sql + "]");
            }
            s.executeQuery("SELECT 0");
            s.addBatch("SELECT 1");
            assertThat(c.boundMember()).as("a batch binds the leader before it can no longer move").isEqualTo("pg1");
            s.executeBatch();
            assertThat(calls).last().isEqualTo("pg1: executeBatch");
            s.executeQuery("SELECT 0");
            CallableStatement call = c.prepareCall("SELECT 1");
            assertThat(c.boundMember()).isEqualTo("pg1");
            call.execute();
            assertThat(calls).last().isEqualTo("pg1: execute");
        }
    }

    @Test
    void aClassifiedSelectRunsAgainAfterAConnectionFailureOnAReplica() throws SQLException {
        routeReads();
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            failures = 1;
            assertThat(s.executeQuery("SELECT 1")).isNotNull();
            assertThat(callsNamed("executeQuery")).containsExactly("pg2: executeQuery[SELECT 1]",
                    "pg3: executeQuery[SELECT 1]");
            assertThat(refreshes).isEqualTo(1);
        }
    }

    @Test
    void aClassifiedSelectRunsAgainAfterAConnectionFailureOnTheLeaderWhereAnUnclassifiedOneIsUnknown()
            throws SQLException {
        publish("pg1"); // no replica: reads fall back to the leader
        routeReads();
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            failures = 1;
            assertThat(s.executeQuery("SELECT 1")).isNotNull();
            assertThat(callsNamed("executeQuery")).containsExactly("pg1: executeQuery[SELECT 1]",
                    "pg1: executeQuery[SELECT 1]");
            failures = 1;
            assertThatThrownBy(() -> s.executeQuery("SELECT nextval('s')"))
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.OUTCOME_UNKNOWN);
        }
    }

    @Test
    void withTheSettingOffAutoCommitSelectsStayOnTheLeaderAndAreNotRunAgain() throws SQLException {
        List<String> routed = countRoutingDecisions();
        try (LogicalConnection c = connection()) {
            Statement s = c.createStatement();
            assertThat(borrowed).as("the statement binds the leader at creation, as always").isEqualTo(1);
            s.executeQuery("SELECT 1");
            s.executeUpdate("INSERT INTO t VALUES (1)");
            assertThat(c.boundMember()).isEqualTo("pg1");
            assertThat(borrowed).isEqualTo(1);
            failures = 1;
            assertThatThrownBy(() -> s.executeQuery("SELECT 1")).extracting(e -> ((SQLException) e).getSQLState())
                    .isEqualTo(SqlStates.OUTCOME_UNKNOWN);
            assertThat(routed).as("nothing counted").isEmpty();
        }
    }

    @Test
    void aTransactionOrTheReadOnlyFlagIsRoutedByTheFlagAsAlways() throws SQLException {
        routeReads();
        try (LogicalConnection c = connection()) {
            c.createStatement().executeQuery("SELECT 1");
            assertThat(c.boundMember()).isEqualTo("pg2");
            c.setAutoCommit(false);
            assertThat(c.boundMember()).as("returned: a read-write transaction goes to the leader").isNull();
            Statement s = c.createStatement();
            s.executeQuery("SELECT 1");
            assertThat(c.boundMember()).isEqualTo("pg1");
            failures = 1;
            assertThatThrownBy(() -> s.executeQuery("SELECT 2")).as("a later statement: the text does not count")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
            c.rollback();
            c.setAutoCommit(true);
            c.setReadOnly(true);
            c.createStatement().executeQuery("SELECT nextval('s')");
            assertThat(c.boundMember()).as("the flag routes, not the text").isEqualTo("pg2");
        }
    }

    /**
     * The member a lost transaction failed on and the session settings share one lazily made object beside the
     * connection: each keeps its meaning while the other is in use, and the name is gone with the transaction.
     */
    @Test
    void aLostTransactionNamesItsMemberUntilItEndsBesideTheSessionSettings() throws SQLException {
        try (LogicalConnection c = connection()) {
            c.setSchema("app");
            c.setAutoCommit(false);
            Statement s = c.createStatement();
            s.executeUpdate("INSERT 1");
            failures = 1;
            assertThatThrownBy(() -> s.executeUpdate("INSERT 2")).hasMessageContaining("pg1");
            assertThatThrownBy(() -> s.executeUpdate("INSERT 3")).hasMessageContaining("connection to pg1 failed")
                    .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo(SqlStates.TRANSACTION_LOST);
            assertThat(c.getSchema()).isEqualTo("app");
            c.rollback();
            s.executeUpdate("INSERT 4"); // a new transaction, bound afresh with the session settings
            c.commit();
            assertThat(callsNamed("setSchema")).hasSize(2);
            assertThat(c.getAutoCommit()).isFalse();
        }
    }

    /** abort() may come from another thread: the owner sees the connection closed (a volatile of its own). */
    @Test
    void abortFromAnotherThreadClosesTheConnectionForItsOwner() throws Exception {
        LogicalConnection c = connection();
        c.setAutoCommit(false);
        c.setReadOnly(true);
        c.createStatement().executeQuery("SELECT 1");
        Thread other = new Thread(() -> {
            try {
                c.abort(Runnable::run);
            } catch (SQLException e) {
                throw new AssertionError(e);
            }
        });
        other.start();
        other.join(5_000);
        assertThat(c.isClosed()).isTrue();
        assertThat(c.boundMember()).isNull();
        assertThatThrownBy(c::createStatement).extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo(SqlStates.CONNECTION_CLOSED);
        assertThatThrownBy(c::isReadOnly).extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo(SqlStates.CONNECTION_CLOSED);
    }

    @Test
    void closedConnectionsSay08003() throws SQLException {
        LogicalConnection c = connection();
        c.close();
        assertThatThrownBy(c::createStatement).extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo(SqlStates.CONNECTION_CLOSED);
        assertThat(c.isValid(1)).isFalse();
    }

    /**
     * Read-your-writes: a read-write transaction that wrote asks the same session for its WAL position after COMMIT,
     * with auto-commit on around the query (no transaction opened, nothing to roll back); one of SELECTs does not
     * ask (no extra round trip); an auto-commit write asks right after it, an auto-commit SELECT does not.
     */
    @Test
    void writesLearnTheirWalPositionAndReadsDoNot() throws SQLException {
        positions = new WritePositions(PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo")
                .database("app").user("app").build());
        positions.leaderIs(view.current().leader());
        String lsnQuery = "executeQuery[SELECT pg_current_wal_insert_lsn()]";
        try (LogicalConnection c = connection()) {
            c.setAutoCommit(false);
            c.createStatement().executeQuery("SELECT 1");
            c.commit();
            assertThat(calls).noneMatch(x -> x.endsWith(lsnQuery));
            assertThat(positions.written()).isEqualTo(WritePositions.NONE);

            c.createStatement().executeUpdate("INSERT INTO t VALUES (1)");
            calls.clear();
            c.commit();
            assertThat(calls).containsSubsequence("pg1: commit", "pg1: setAutoCommit[true]", "pg1: " + lsnQuery,
                    "pg1: setAutoCommit[false]");
            assertThat(positions.written()).isEqualTo(0x3000148L);

            c.setAutoCommit(true);
            calls.clear();
            c.createStatement().executeUpdate("UPDATE t SET x = 2");
            assertThat(calls).containsSubsequence("pg1: executeUpdate[UPDATE t SET x = 2]", "pg1: " + lsnQuery);
            calls.clear();
            c.createStatement().executeQuery("SELECT x FROM t");
            assertThat(calls).noneMatch(x -> x.endsWith(lsnQuery));
        }
    }
}
