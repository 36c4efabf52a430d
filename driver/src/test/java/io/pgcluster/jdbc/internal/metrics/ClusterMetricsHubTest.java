package io.pgcluster.jdbc.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.internal.routing.LocalCluster;
import io.pgcluster.jdbc.internal.routing.MemberPool;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How events reach implementations attached after construction: replay, forwarding, composite, close. */
class ClusterMetricsHubTest {
    private LocalCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new LocalCluster();
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    /** Records every event as text. */
    static final class Recorder implements ClusterMetrics {
        final List<String> events = new CopyOnWriteArrayList<>();
        final AtomicInteger timeouts = new AtomicInteger();
        final boolean tracks;

        Recorder(boolean tracks) {
            this.tracks = tracks;
        }

        @Override
        public void attached(Topology current) {
            events.add("attached " + (current.leader() == null ? "-" : current.leader().name()));
        }

        @Override
        public void onTopology(Topology previous, Topology current) {
            events.add("topology " + (current.leader() == null ? "-" : current.leader().name()));
        }

        @Override
        public void poolOpened(Member member, Access access, ConnectionCounts counts) {
            events.add("opened " + access + " " + member.name() + " max " + counts.maxConnections());
        }

        @Override
        public ConnectionTimings poolTimings(Member member, Access access) {
            return tracks ? new ConnectionTimings() {
                @Override
                public void connectionTimedOut() {
                    timeouts.incrementAndGet();
                }
            } : null;
        }

        @Override
        public void poolClosed(Member member, Access access, ConnectionCounts counts) {
            events.add("closed " + access + " " + member.name());
        }

        @Override
        public void routed(boolean readOnly, boolean toLeader) {
            events.add("routed " + readOnly + " " + toLeader);
        }

        @Override
        public void retry(boolean readOnly, String sqlState) {
            events.add("retry " + sqlState);
        }

        @Override
        public void statementRouted(boolean read) {
            events.add("statement " + (read ? "read" : "write"));
        }

        @Override
        public void closed() {
            events.add("closed");
        }
    }

    @Test
    void anImplementationAttachedLaterHearsTheCurrentTopologyAndOpenPoolsThenEveryEvent() {
        cluster.publish("pg1", "pg1", "pg2");
        Recorder r = new Recorder(false);
        cluster.hub.attach(r);
        assertThat(r.events).containsExactly("attached pg1", "opened write pg1 max 10", "opened read pg2 max 10");

        r.events.clear();
        cluster.hub.routed(true, false);
        cluster.publish("pg1", "pg1", "pg2", "pg3");
        assertThat(r.events).containsExactly("routed true false", "topology pg1",
                "opened read pg3 max 10");
    }

    @Test
    void attachingTheSameInstanceTwiceChangesNothing() {
        Recorder r = new Recorder(false);
        cluster.hub.attach(r);
        cluster.hub.attach(r);
        cluster.hub.routed(false, true);
        assertThat(r.events).containsExactly("attached -", "routed false true");
    }

    @Test
    void severalImplementationsAllHearEveryEvent() {
        Recorder a = new Recorder(false);
        Recorder b = new Recorder(false);
        cluster.hub.attach(a);
        cluster.hub.attach(b);
        cluster.hub.retry(true, "40001");
        cluster.hub.statementRouted(true);
        cluster.publish("pg1", "pg1");
        assertThat(a.events).containsExactly("attached -", "retry 40001", "statement read", "topology pg1",
                "opened write pg1 max 10");
        assertThat(b.events).isEqualTo(a.events);
    }

    /** Records every call on the interface, whatever the method, as its name and arguments. */
    private static ClusterMetrics recordingEverything(List<String> calls) {
        return (ClusterMetrics) Proxy.newProxyInstance(ClusterMetrics.class.getClassLoader(),
                new Class<?>[] {ClusterMetrics.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("equals") ? proxy == args[0] : System.identityHashCode(proxy);
                    }
                    calls.add(method.getName() + (args == null ? "[]" : Arrays.toString(args)));
                    return null;
                });
    }

    @Test
    void everyRequestPathEventReachesEachOfSeveralImplementationsWithItsArguments() {
        cluster.publish("pg1", "pg1", "pg2");
        List<String> one = new CopyOnWriteArrayList<>();
        List<String> two = new CopyOnWriteArrayList<>();
        cluster.hub.attach(recordingEverything(one));
        cluster.hub.attach(recordingEverything(two));
        one.clear();
        two.clear();
        MemberPool write = cluster.writePool();
        MemberPool read = cluster.readPool("pg2");

        cluster.hub.routed(true, false);
        cluster.hub.statementRouted(false);
        cluster.hub.freshRead(true, false);
        cluster.hub.leaderWait(12_345_678_901L, true);
        cluster.hub.drainHeld();
        cluster.hub.unavailable();
        cluster.hub.writeCommitted(write);
        cluster.hub.writeCommitted(read);
        cluster.hub.borrowTimedOut(read);
        cluster.hub.connectFailed(write, "28P01");
        cluster.hub.connectionFailed(read, "08006", "08007");
        cluster.hub.connectionFailed(null, null, null);
        cluster.hub.retry(false, "40001");

        String pg1 = write.member().toString();
        String pg2 = read.member().toString();
        assertThat(one).containsExactly("routed[true, false]", "statementRouted[false]", "freshRead[true, false]",
                "leaderWait[12345678901, true]", "drainHeld[]", "unavailable[]", "writeCommitted[" + pg1 + "]",
                "borrowTimedOut[" + pg2 + ", read]", "connectFailed[" + pg1 + ", write, 28P01]",
                "connectionFailed[" + pg2 + ", read, 08006, 08007]", "connectionFailed[null, null, null, null]",
                "retry[false, 40001]");
        assertThat(two).isEqualTo(one);
    }

    @Test
    void closingTellsEveryImplementationOnceAndDetachesThem() {
        cluster.publish("pg1", "pg1");
        Recorder r = new Recorder(false);
        cluster.hub.attach(r);
        r.events.clear();
        cluster.pools.close();
        cluster.hub.close();
        cluster.hub.close();
        cluster.hub.routed(true, true);
        assertThat(r.events).containsExactly("closed write pg1",
                "closed");

        Recorder late = new Recorder(false);
        cluster.hub.attach(late);
        assertThat(late.events).as("attached to a closed data source").containsExactly("closed");
        assertThat(cluster.hub.attachedMetrics()).isEmpty();
    }

    @Test
    void aFailingImplementationDoesNotStopPoolsOrTheOthers() {
        ClusterMetrics failing = new ClusterMetrics() {
            @Override
            public void onTopology(Topology previous, Topology current) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void poolOpened(Member member, Access access, ConnectionCounts counts) {
                throw new IllegalStateException("boom");
            }
        };
        Recorder r = new Recorder(false);
        cluster.hub.attach(failing);
        cluster.hub.attach(r);
        cluster.publish("pg1", "pg1", "pg2");
        assertThat(cluster.router.table().leader()).isNotNull();
        assertThat(cluster.router.table().readers()).hasSize(1);
        assertThat(r.events).contains("topology pg1");
    }

    @Test
    void hikariMeasurementsReachTheTrackerOfAPoolOpenedBeforeAttaching() {
        cluster.publish("pg1", "pg1");
        MemberPool write = cluster.writePool();
        Recorder r = new Recorder(true);
        cluster.hub.attach(r);
        // nothing listens on the member's port: the borrow times out, which HikariCP reports to the tracker
        assertThatThrownBy(() -> write.borrow(100)).isInstanceOf(SQLException.class);
        assertThat(r.timeouts).hasValue(1);
    }

    @Test
    void aPoolOpenedAfterAttachingIsTrackedToo() {
        Recorder r = new Recorder(true);
        cluster.hub.attach(r);
        cluster.publish("pg1", "pg1");
        assertThatThrownBy(() -> cluster.writePool().borrow(100)).isInstanceOf(SQLException.class);
        assertThat(r.timeouts).hasValue(1);
    }
}
