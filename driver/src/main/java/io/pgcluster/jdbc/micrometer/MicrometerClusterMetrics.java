package io.pgcluster.jdbc.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.internal.metrics.Access;
import io.pgcluster.jdbc.internal.metrics.ClusterMetrics;
import io.pgcluster.jdbc.internal.metrics.ConnectionCounts;
import io.pgcluster.jdbc.internal.metrics.ConnectionTimings;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Micrometer meters of one data source (see docs/metrics.md), in every registry it was bound to, following
 * pools and members as they come and go.
 *
 * <p>Events on the request path touch no registry: counters are {@link LongAdder}s read by function counters,
 * gauges read the current topology and pools when scraped, and timers record into the timers of the bound
 * registries (usually one). Meters are declared in <em>groups</em> (the cluster, a pool, a member, a counter with
 * given tags) that are registered in every registry bound, including registries bound later, and removed from all
 * of them together: a pool's meters when its last pool closes, a member's when it leaves the topology, everything
 * when the data source closes.
 *
 * <p>Thread-safety: safe for concurrent use; groups and registries are guarded by this object's lock, which is
 * taken inside the hub's lock and never the other way round.
 */
final class MicrometerClusterMetrics implements ClusterMetrics {
    private static final Logger log = LoggerFactory.getLogger(MicrometerClusterMetrics.class);

    static final String ROUTING_DECISIONS = "pgcluster.routing.decisions";
    static final String STATEMENTS_ROUTED = "pgcluster.statements.routed";
    static final String TOPOLOGY_CHANGES = "pgcluster.topology.changes";
    static final String TOPOLOGY_AGE = "pgcluster.topology.age";
    static final String SOURCE_REACHABLE = "pgcluster.topology.source.reachable";
    static final String LEADER_CHANGES = "pgcluster.leader.changes";
    static final String LEADER_WAIT = "pgcluster.leader.wait";
    static final String DRAIN_HELD = "pgcluster.switchover.drain.held";
    static final String LEADER_FIRST_WRITE = "pgcluster.leader.first.write";
    static final String MEMBER_LAG = "pgcluster.member.lag";
    static final String MEMBER_LEADER = "pgcluster.member.leader";
    static final String POOL_CONNECTIONS = "pgcluster.pool.connections";
    static final String POOL_ACTIVE = "pgcluster.pool.connections.active";
    static final String POOL_IDLE = "pgcluster.pool.connections.idle";
    static final String POOL_PENDING = "pgcluster.pool.connections.pending";
    static final String POOL_MAX = "pgcluster.pool.connections.max";
    static final String POOL_ACQUIRE = "pgcluster.pool.connections.acquire";
    static final String POOL_USAGE = "pgcluster.pool.connections.usage";
    static final String POOL_CREATION = "pgcluster.pool.connections.creation";
    static final String POOL_TIMEOUTS = "pgcluster.pool.connections.timeout";
    static final String POOL_SUSPECT = "pgcluster.pool.suspect";
    static final String CONNECTION_FAILURES = "pgcluster.connection.failures";
    static final String FAILURES_REPORTED = "pgcluster.failures.reported";
    static final String FRESH_READS = "pgcluster.reads.fresh";
    static final String TRANSACTION_RETRIES = "pgcluster.transaction.retries";

    private final String cluster;
    private final Tags tags;
    // Request path, lock-free:
    private final LongAdder readsToReplica = new LongAdder();
    private final LongAdder readsToLeader = new LongAdder();
    private final LongAdder writesToLeader = new LongAdder();
    private final LongAdder statementsToReplica = new LongAdder();
    private final LongAdder statementsToLeader = new LongAdder();
    private final LongAdder freshReplica = new LongAdder();
    private final LongAdder freshAfterWait = new LongAdder();
    private final LongAdder freshLeader = new LongAdder();
    private final LongAdder topologyChanges = new LongAdder();
    private final LongAdder leaderChanges = new LongAdder();
    private final LongAdder drainHeld = new LongAdder();
    private final Timers waitAcquired = new Timers();
    private final Timers waitTimedOut = new Timers();
    private final Timers firstWrite = new Timers();
    private final AtomicReference<NewLeader> newLeader = new AtomicReference<>();
    private final ConcurrentMap<CounterKey, LongAdder> counters = new ConcurrentHashMap<>();
    private volatile Topology topology;
    // Guarded by this:
    private final List<MeterRegistry> registries = new ArrayList<>();
    private final Map<Object, Group> groups = new LinkedHashMap<>();
    private final Map<PoolKey, PoolMeters> pools = new HashMap<>();
    private final Map<String, MemberKey> members = new HashMap<>();
    private Member lastLeader;
    private boolean closed;

    /** A leader named by the topology, waiting for its first committed write. */
    private record NewLeader(Member member, long observedNanos) {
    }

    private record PoolKey(String member, String role) {
    }

    private record MemberKey(String member) {
    }

    private record CounterKey(String name, Tags tags) {
    }

    /** One meter as registered in one registry, to remove it from there. */
    private record Registered(MeterRegistry registry, Meter meter) {
    }

    /** Registers a group's meters in one registry, adding each to {@code into} as soon as it is registered. */
    @FunctionalInterface
    private interface Registrar {
        void register(MeterRegistry registry, List<Meter> into);
    }

    /** Meters registered together in every bound registry, and removed together. */
    private static final class Group {
        final Registrar registrar;
        final List<Registered> registered = new ArrayList<>();

        Group(Registrar registrar) {
            this.registrar = registrar;
        }
    }

    /**
     * @param cluster the data source's name, the {@code cluster} tag
     * @param tags more tags for every meter
     */
    MicrometerClusterMetrics(String cluster, Iterable<Tag> tags) {
        this.cluster = cluster;
        this.tags = Tags.of("cluster", cluster).and(tags);
        this.topology = Topology.unknown(cluster, "not attached");
        addGroup("cluster", this::registerClusterMeters);
    }

    /** Registers every meter in {@code registry}, now and as pools and members come; once per registry. */
    synchronized void bind(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        if (closed || registries.stream().anyMatch(r -> r == registry)) {
            return;
        }
        registries.add(registry);
        for (Group g : groups.values()) {
            register(g, registry);
        }
    }

    // ---- topology and pools (one at a time, from the hub) -------------------------------------------------------

    @Override
    public synchronized void attached(Topology current) {
        topology = current;
        lastLeader = current.leader();
        followMembers(current);
    }

    @Override
    public synchronized void onTopology(Topology previous, Topology current) {
        topology = current;
        if (previous.isKnown() && current.isKnown() && changed(previous, current)) {
            topologyChanges.increment();
        }
        Member leader = current.leader();
        if (leader != null) {
            if (lastLeader != null && !leader.sameServer(lastLeader)) {
                leaderChanges.increment();
                newLeader.set(new NewLeader(leader, current.observedNanos()));
            }
            lastLeader = leader;
        }
        followMembers(current);
    }

    /**
     * Whether routing sees a different cluster: another leader, or a member that came, left, or changed its role,
     * state or address. Lag, reachability of the source and a confirmation of the same layout are not changes.
     */
    static boolean changed(Topology previous, Topology current) {
        if (!previous.sameLeader(current) || previous.members().size() != current.members().size()) {
            return true;
        }
        for (Member m : current.members()) {
            Member before = previous.member(m.name());
            if (before == null || before.role() != m.role() || !before.state().equals(m.state())
                    || !before.sameServer(m)) {
                return true;
            }
        }
        return false;
    }

    private void followMembers(Topology current) {
        if (!current.isKnown()) {
            return;
        }
        Map<String, MemberKey> gone = new HashMap<>(members);
        for (Member m : current.members()) {
            if (gone.remove(m.name()) == null) {
                MemberKey key = new MemberKey(m.name());
                members.put(m.name(), key);
                addGroup(key, (r, into) -> registerMemberMeters(r, m.name(), into));
            }
        }
        for (Map.Entry<String, MemberKey> e : gone.entrySet()) {
            members.remove(e.getKey());
            removeGroup(e.getValue());
        }
    }

    @Override
    public synchronized void poolOpened(Member member, Access access, ConnectionCounts counts) {
        PoolKey key = new PoolKey(member.name(), access.tag());
        PoolMeters m = pools.get(key);
        if (m == null) {
            PoolMeters created = new PoolMeters();
            m = created;
            pools.put(key, m);
            addGroup(key, (r, into) -> registerPoolMeters(r, key, created, into));
        }
        m.pools.add(counts);
    }

    @Override
    public synchronized ConnectionTimings poolTimings(Member member, Access access) {
        return pools.get(new PoolKey(member.name(), access.tag()));
    }

    @Override
    public synchronized void borrowTimedOut(Member member, Access access) {
        PoolMeters m = pools.get(new PoolKey(member.name(), access.tag()));
        if (m != null) {
            m.timeouts.increment();
        }
    }

    @Override
    public synchronized void poolClosed(Member member, Access access, ConnectionCounts counts) {
        PoolKey key = new PoolKey(member.name(), access.tag());
        PoolMeters m = pools.get(key);
        if (m != null && m.pools.remove(counts) && m.pools.isEmpty()) {
            pools.remove(key);
            removeGroup(key);
        }
    }

    @Override
    public synchronized void closed() {
        closed = true;
        for (Group g : groups.values()) {
            unregister(g);
        }
        groups.clear();
        registries.clear();
        pools.clear();
        members.clear();
    }

    // ---- the request path ----------------------------------------------------------------------------------------

    @Override
    public void routed(boolean readOnly, boolean toLeader) {
        (readOnly ? toLeader ? readsToLeader : readsToReplica : writesToLeader).increment();
    }

    @Override
    public void statementRouted(boolean read) {
        (read ? statementsToReplica : statementsToLeader).increment();
    }

    @Override
    public void freshRead(boolean waited, boolean toLeader) {
        (toLeader ? freshLeader : waited ? freshAfterWait : freshReplica).increment();
    }

    @Override
    public void leaderWait(long nanos, boolean acquired) {
        (acquired ? waitAcquired : waitTimedOut).record(nanos);
    }

    @Override
    public void drainHeld() {
        drainHeld.increment();
    }

    @Override
    public void writeCommitted(Member leader) {
        NewLeader n = newLeader.get();
        if (n != null && leader.sameServer(n.member) && newLeader.compareAndSet(n, null)) {
            firstWrite.record(System.nanoTime() - n.observedNanos);
        }
    }

    @Override
    public void unavailable() {
        increment(FAILURES_REPORTED, "Failures reported to the application with a pgcluster SQLState",
                Tags.of("sqlstate", SqlStates.UNABLE_TO_CONNECT));
    }

    @Override
    public void connectFailed(Member member, Access access, String sqlState) {
        failure(member, access, sqlState, "connect");
    }

    @Override
    public void connectionFailed(Member member, Access access, String sqlState, String reportedAs) {
        failure(member, access, sqlState, "in_use");
        if (reportedAs != null) {
            increment(FAILURES_REPORTED, "Failures reported to the application with a pgcluster SQLState",
                    Tags.of("sqlstate", reportedAs));
        }
    }

    private void failure(Member member, Access access, String sqlState, String phase) {
        String state = sqlState == null || sqlState.isEmpty() ? "none" : sqlState;
        increment(CONNECTION_FAILURES, "Physical connections that could not be opened or failed in use",
                Tags.of("member", member == null ? "unknown" : member.name(),
                        "role", access == null ? "unknown" : access.tag(),
                        "phase", phase, "sqlstate", state,
                        "sqlstate.class", state.length() >= 2 ? state.substring(0, 2) : state));
    }

    @Override
    public void retry(boolean readOnly, String sqlState) {
        increment(TRANSACTION_RETRIES, "Units of work run again after a retryable failure",
                Tags.of("mode", readOnly ? "read_only" : "read_write_idempotent",
                        "sqlstate", sqlState == null ? "none" : sqlState));
    }

    private void increment(String name, String description, Tags extra) {
        CounterKey key = new CounterKey(name, extra);
        LongAdder a = counters.get(key);
        if (a == null) {
            a = newCounter(key, description);
        }
        a.increment();
    }

    private synchronized LongAdder newCounter(CounterKey key, String description) {
        LongAdder a = counters.get(key);
        if (a == null) {
            LongAdder created = new LongAdder();
            a = created;
            counters.put(key, a);
            addGroup(key, (r, into) -> into.add(FunctionCounter.builder(key.name, created, LongAdder::doubleValue)
                    .description(description).tags(tags).tags(key.tags).register(r)));
        }
        return a;
    }

    // ---- meters --------------------------------------------------------------------------------------------------

    private void registerClusterMeters(MeterRegistry r, List<Meter> m) {
        m.add(routing(r, "read", "replica", readsToReplica));
        m.add(routing(r, "read", "leader", readsToLeader));
        m.add(routing(r, "write", "leader", writesToLeader));
        m.add(statements(r, "read", statementsToReplica));
        m.add(statements(r, "write", statementsToLeader));
        m.add(freshReads(r, "replica", freshReplica));
        m.add(freshReads(r, "replica_after_wait", freshAfterWait));
        m.add(freshReads(r, "leader", freshLeader));
        m.add(FunctionCounter.builder(TOPOLOGY_CHANGES, topologyChanges, LongAdder::doubleValue)
                .description("Topology snapshots that changed the leader, the members, or a member's role, state "
                        + "or address")
                .tags(tags).register(r));
        m.add(FunctionCounter.builder(LEADER_CHANGES, leaderChanges, LongAdder::doubleValue)
                .description("Times the topology named a leader other than the last one (failovers, switchovers)")
                .tags(tags).register(r));
        m.add(Gauge.builder(SOURCE_REACHABLE, this, x -> x.topology.sourceReachable() ? 1 : 0)
                .description("Whether the topology source (etcd, Patroni REST, hosts) answered at its last attempt")
                .tags(tags).strongReference(true).register(r));
        m.add(TimeGauge.builder(TOPOLOGY_AGE, this, TimeUnit.NANOSECONDS,
                x -> System.nanoTime() - x.topology.observedNanos())
                .description("Time since the topology in force was observed")
                .tags(tags).strongReference(true).register(r));
        m.add(timer(r, LEADER_WAIT, "Time a writer waited for a leader", Tags.of("outcome", "acquired"),
                waitAcquired));
        m.add(timer(r, LEADER_WAIT, "Time a writer waited for a leader", Tags.of("outcome", "timeout"),
                waitTimedOut));
        m.add(FunctionCounter.builder(DRAIN_HELD, drainHeld, LongAdder::doubleValue)
                .description("Writes that found the leader draining for an announced switchover and waited for the "
                        + "new leader instead of starting on the old one")
                .tags(tags).register(r));
        m.add(timer(r, LEADER_FIRST_WRITE, "Time from the topology naming a new leader to the first read-write "
                + "transaction committed on it", Tags.empty(), firstWrite));
    }

    private Meter routing(MeterRegistry r, String work, String target, LongAdder count) {
        return FunctionCounter.builder(ROUTING_DECISIONS, count, LongAdder::doubleValue)
                .description("Physical connections bound, by work (read, write) and target (replica, leader)")
                .tags(tags).tags("work", work, "target", target).register(r);
    }

    private Meter statements(MeterRegistry r, String work, LongAdder count) {
        return FunctionCounter.builder(STATEMENTS_ROUTED, count, LongAdder::doubleValue)
                .description("Auto-commit statements routed by their SQL text (autoCommitReads=replica), by work: "
                        + "read (found to only read, sent to a replica) or write (anything else, sent to the leader)")
                .tags(tags).tags("work", work).register(r);
    }

    private Meter freshReads(MeterRegistry r, String outcome, LongAdder count) {
        return FunctionCounter.builder(FRESH_READS, count, LongAdder::doubleValue)
                .description("Reads that had to see a write position (read-your-writes), by where they ran: a replica "
                        + "that had replayed it, one after waiting for it, or the leader")
                .tags(tags).tags("outcome", outcome).register(r);
    }

    private Meter timer(MeterRegistry r, String name, String description, Tags extra, Timers into) {
        Timer t = Timer.builder(name).description(description).tags(tags).tags(extra).register(r);
        into.add(t);
        return t;
    }

    private void registerMemberMeters(MeterRegistry r, String name, List<Meter> m) {
        Tags t = tags.and("member", name);
        m.add(Gauge.builder(MEMBER_LAG, this, x -> x.lag(name))
                .description("Replication lag behind the leader as the topology reports it (0 for the leader, NaN "
                        + "when unknown)")
                .baseUnit(BaseUnits.BYTES).tags(t).strongReference(true).register(r));
        m.add(Gauge.builder(MEMBER_LEADER, this, x -> x.isLeader(name) ? 1 : 0)
                .description("Whether the member holds the leader key")
                .tags(t).strongReference(true).register(r));
    }

    private double lag(String member) {
        Member m = topology.member(member);
        return m == null || m.lagBytes() < 0 ? Double.NaN : m.lagBytes();
    }

    private boolean isLeader(String member) {
        Member l = topology.leader();
        return l != null && l.name().equals(member);
    }

    private void registerPoolMeters(MeterRegistry r, PoolKey key, PoolMeters p, List<Meter> m) {
        Tags t = tags.and("member", key.member(), "role", key.role());
        m.add(poolGauge(r, POOL_CONNECTIONS, "Connections open (active and idle)", t, p,
                ConnectionCounts::totalConnections));
        m.add(poolGauge(r, POOL_ACTIVE, "Connections in use", t, p, ConnectionCounts::activeConnections));
        m.add(poolGauge(r, POOL_IDLE, "Connections idle in the pool", t, p, ConnectionCounts::idleConnections));
        m.add(poolGauge(r, POOL_PENDING, "Threads waiting for a connection", t, p, ConnectionCounts::threadsAwaiting));
        m.add(Gauge.builder(POOL_MAX, p, PoolMeters::max).description("Most connections the pool opens")
                .tags(t).strongReference(true).register(r));
        m.add(Gauge.builder(POOL_SUSPECT, p, x -> x.suspect() ? 1 : 0)
                .description("Whether the member refused a connection recently and gets no new work")
                .tags(t).strongReference(true).register(r));
        m.add(timer(r, POOL_ACQUIRE, "Time to borrow a connection from the pool (HikariCP)", t, p.acquire));
        m.add(timer(r, POOL_USAGE, "Time a connection was in use (HikariCP)", t, p.usage));
        m.add(timer(r, POOL_CREATION, "Time to open a connection (HikariCP)", t, p.creation));
        m.add(FunctionCounter.builder(POOL_TIMEOUTS, p.timeouts, LongAdder::doubleValue)
                .description("Requests that gave up after connectionTimeout waiting for a connection of this pool").tags(t).register(r));
    }

    private static Meter poolGauge(MeterRegistry r, String name, String description, Tags t, PoolMeters p,
            ToIntFunction<ConnectionCounts> f) {
        return Gauge.builder(name, p, x -> x.sum(f)).description(description).tags(t).strongReference(true)
                .register(r);
    }

    // ---- groups --------------------------------------------------------------------------------------------------

    /** Declares a group and registers it in every bound registry; called under this object's lock. */
    private void addGroup(Object key, Registrar registrar) {
        if (closed || groups.containsKey(key)) {
            return;
        }
        Group g = new Group(registrar);
        groups.put(key, g);
        for (MeterRegistry r : registries) {
            register(g, r);
        }
    }

    /** Removes a group's meters from every registry; called under this object's lock. */
    private void removeGroup(Object key) {
        Group g = groups.remove(key);
        if (g != null) {
            unregister(g);
        }
    }

    private void register(Group g, MeterRegistry r) {
        List<Meter> into = new ArrayList<>();
        try {
            g.registrar.register(r, into);
        } catch (RuntimeException e) {
            // e.g. a registry that refuses a name already used with other tags: the rest still works
            log.warn("pgcluster {}: could not register meters in {}: {}", cluster, r.getClass().getSimpleName(),
                    e.toString());
        } finally {
            for (Meter m : into) {
                g.registered.add(new Registered(r, m));
            }
        }
    }

    private static void unregister(Group g) {
        for (Registered x : g.registered) {
            x.registry.remove(x.meter);
        }
        g.registered.clear();
    }

    @Override
    public String toString() {
        return "Micrometer metrics of " + cluster;
    }

    // ---- holders ---------------------------------------------------------------------------------------------------

    /** The timers of one meter in every bound registry; a recording goes to each. */
    private static final class Timers {
        private volatile Timer[] all = new Timer[0];

        synchronized void add(Timer t) {
            for (Timer x : all) {
                if (x == t) {
                    return; // the registry already had it
                }
            }
            Timer[] now = Arrays.copyOf(all, all.length + 1);
            now[now.length - 1] = t;
            all = now;
        }

        void record(long nanos) {
            for (Timer t : all) {
                t.record(nanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * The pools open for one member and role (two while a retired one drains beside its successor), and HikariCP's
     * tracker for all of them.
     */
    private static final class PoolMeters implements ConnectionTimings {
        final List<ConnectionCounts> pools = new CopyOnWriteArrayList<>();
        final Timers acquire = new Timers();
        final Timers usage = new Timers();
        final Timers creation = new Timers();
        final LongAdder timeouts = new LongAdder();

        int sum(ToIntFunction<ConnectionCounts> f) {
            int n = 0;
            for (ConnectionCounts p : pools) {
                n += f.applyAsInt(p);
            }
            return n;
        }

        int max() {
            int n = 0;
            for (ConnectionCounts p : pools) {
                n = Math.max(n, p.maxConnections());
            }
            return n;
        }

        boolean suspect() {
            for (ConnectionCounts p : pools) {
                if (p.isSuspect()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void connectionAcquired(long nanos) {
            acquire.record(nanos);
        }

        @Override
        public void connectionUsed(long millis) {
            usage.record(TimeUnit.MILLISECONDS.toNanos(millis));
        }

        @Override
        public void connectionCreated(long millis) {
            creation.record(TimeUnit.MILLISECONDS.toNanos(millis));
        }

        // connectionTimedOut: a slice of a longer wait (see ClusterMetrics#borrowTimedOut), not a request that timed
        // out; the meters go with the last pool of this member and access (poolClosed)
    }
}
