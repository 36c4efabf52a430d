package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterUrl;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The release and the cap of the driver's shared clusters, with fake data sources and a fake clock. */
class SharedClustersTest {
    private static final String URL = "jdbc:pgcluster:endpoints://127.0.0.1:1/db?read=127.0.0.1:2";
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final FakeKind kind = new FakeKind();
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private int max = 32;
    private final SharedClusters<FakeDs> shared = new SharedClusters<>(kind, () -> max, now::get, false);

    @AfterEach
    void closeDriver() {
        PgClusterDriver.closeAll();
    }

    /** A shared data source that only counts. */
    static final class FakeDs {
        final String password;
        volatile boolean closed;
        final AtomicInteger closes = new AtomicInteger();

        FakeDs(String password) {
            this.password = password;
        }
    }

    static final class FakeKind implements SharedClusters.Kind<FakeDs> {
        final List<FakeDs> opened = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger connectsToClosed = new AtomicInteger();
        volatile CountDownLatch inConnect;
        volatile CountDownLatch letConnect;

        @Override
        public FakeDs open(PgClusterConfig config) {
            if (config.password().equals("cannot-start")) {
                throw new IllegalStateException("cannot start");
            }
            FakeDs ds = new FakeDs(config.password());
            opened.add(ds);
            return ds;
        }

        @Override
        public Connection connect(FakeDs ds) throws SQLException {
            CountDownLatch in = inConnect;
            if (in != null) {
                in.countDown();
                try {
                    letConnect.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (ds.closed) {
                connectsToClosed.incrementAndGet();
                throw new SQLException("closed", "08003");
            }
            return fakeConnection();
        }

        @Override
        public boolean isClosed(FakeDs ds) {
            return ds.closed;
        }

        @Override
        public void close(FakeDs ds) {
            ds.closes.incrementAndGet();
            ds.closed = true;
        }
    }

    private static Connection fakeConnection() {
        AtomicBoolean closed = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(SharedClustersTest.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close":
                            closed.set(true);
                            return null;
                        case "isClosed":
                            return closed.get();
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        case "toString":
                            return "fake connection";
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    private static PgClusterConfig config(String password, String sharedIdleTimeout) {
        Properties p = new Properties();
        p.setProperty("user", "app");
        p.setProperty("password", password);
        p.setProperty("sharedIdleTimeout", sharedIdleTimeout);
        return PgClusterUrl.parse(URL, p).build();
    }

    private void advance(long nanos) {
        now.addAndGet(nanos);
    }

    @Test
    void anIdleClusterIsReleasedOnceItsIdleTimeHasPassed() throws SQLException {
        Connection c = shared.connect(config("a", "10s"));
        FakeDs ds = kind.opened.get(0);
        advance(3600 * SECOND);
        assertThat(shared.check()).as("released with a connection open").isZero();

        c.close();
        assertThat(shared.check()).as("the check that first finds it idle").isZero();
        advance(10 * SECOND - 1);
        assertThat(shared.check()).isZero();
        assertThat(ds.closed).isFalse();
        advance(1);
        assertThat(shared.check()).isEqualTo(1);
        assertThat(ds.closes).hasValue(1);
        assertThat(shared.size()).isZero();
        assertThat(shared.check()).isZero();
        assertThat(ds.closes).as("closed once").hasValue(1);
    }

    @Test
    void aConnectRestartsTheIdleTime() throws SQLException {
        shared.connect(config("a", "10s")).close();
        shared.check();
        advance(8 * SECOND);
        Connection again = shared.connect(config("a", "10s"));
        assertThat(kind.opened).hasSize(1);
        again.close();
        shared.check();
        advance(8 * SECOND);
        assertThat(shared.check()).as("idle 8 s since the last connection").isZero();
        advance(2 * SECOND);
        assertThat(shared.check()).isEqualTo(1);
    }

    @Test
    void zeroIdleTimeReleasesAtTheFirstCheckThatFindsItIdle() throws SQLException {
        shared.connect(config("a", "0")).close();
        assertThat(shared.check()).isEqualTo(1);
        assertThat(kind.opened.get(0).closes).hasValue(1);
    }

    @Test
    void aConnectAfterTheReleaseGetsANewLiveCluster() throws SQLException {
        shared.connect(config("a", "0")).close();
        assertThat(shared.check()).isEqualTo(1);
        Connection c = shared.connect(config("a", "0"));
        assertThat(kind.opened).hasSize(2);
        assertThat(kind.opened.get(1).closed).isFalse();
        assertThat(c.isClosed()).isFalse();
        assertThat(shared.size()).isEqualTo(1);
    }

    @Test
    void aConnectUnderWayWhenTheCheckRunsKeepsItsCluster() throws Exception {
        shared.connect(config("a", "0")).close(); // idle, and released by any check from now on
        kind.inConnect = new CountDownLatch(1);
        kind.letConnect = new CountDownLatch(1);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<Connection> connecting = caller.submit(() -> shared.connect(config("a", "0")));
            assertThat(kind.inConnect.await(10, TimeUnit.SECONDS)).isTrue(); // reserved, asking the data source
            advance(3600 * SECOND);
            assertThat(shared.check()).isZero();
            assertThat(shared.check()).isZero();
            kind.letConnect.countDown();
            Connection c = connecting.get(10, TimeUnit.SECONDS);
            assertThat(kind.opened).hasSize(1);
            assertThat(kind.opened.get(0).closed).isFalse();
            assertThat(shared.check()).as("its connection is open").isZero();
            c.close();
            assertThat(shared.check()).isEqualTo(1);
        } finally {
            caller.shutdownNow();
        }
        assertThat(kind.connectsToClosed).hasValue(0);
    }

    @Test
    void concurrentConnectsAndChecksNeverUseAClosedClusterNorCloseOneTwice() throws Exception {
        int threads = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicBoolean done = new AtomicBoolean();
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                PgClusterConfig config = config("p" + (t % 2), "0"); // two keys, each shared by three threads
                workers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2_000; i++) {
                        try (Connection c = shared.connect(config)) {
                            assertThat(c.isClosed()).isFalse();
                        }
                    }
                    return null;
                }));
            }
            Future<Integer> checker = pool.submit(() -> {
                start.await();
                int released = 0;
                while (!done.get()) {
                    released += shared.check();
                }
                return released;
            });
            start.countDown();
            for (Future<?> w : workers) {
                w.get(60, TimeUnit.SECONDS);
            }
            done.set(true);
            checker.get(60, TimeUnit.SECONDS);
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        shared.check();
        assertThat(kind.connectsToClosed).as("connects that met a released cluster").hasValue(0);
        assertThat(shared.size()).isZero();
        assertThat(kind.opened).allSatisfy(ds -> assertThat(ds.closes).hasValue(1));
    }

    @Test
    void aDataSourceHandedOutIsNeverReleasedForIdleness() throws SQLException {
        FakeDs ds = shared.dataSource(config("a", "0"));
        shared.connect(config("a", "0")).close();
        advance(3600 * SECOND);
        assertThat(shared.check()).isZero();
        assertThat(shared.check()).isZero();
        assertThat(ds.closed).isFalse();
        assertThat(shared.close(config("a", "0"))).isTrue();
        assertThat(ds.closes).hasValue(1);
        assertThat(shared.close(config("a", "0"))).isFalse();
    }

    @Test
    void aClusterClosedByItsUserIsForgottenAndReplaced() throws SQLException {
        FakeDs ds = shared.dataSource(config("a", "5m"));
        kind.close(ds);
        assertThat(shared.size()).isZero();
        shared.connect(config("a", "5m")).close();
        assertThat(kind.opened).hasSize(2);
        assertThat(ds.closes).hasValue(1);
    }

    @Test
    void theCapReleasesTheClusterIdleTheLongest() throws SQLException {
        max = 2;
        shared.connect(config("a", "5m")).close();
        shared.check(); // a idle from now
        advance(SECOND);
        shared.connect(config("b", "5m")).close();
        shared.check(); // b idle from now, a for 1 s already
        advance(SECOND);
        Connection c = shared.connect(config("c", "5m"));
        assertThat(kind.opened).extracting(ds -> ds.password).containsExactly("a", "b", "c");
        assertThat(kind.opened.get(0).closes).hasValue(1);
        assertThat(kind.opened.get(1).closed).isFalse();
        assertThat(c.isClosed()).isFalse();
        assertThat(shared.size()).isEqualTo(2);
    }

    @Test
    void theCapFailsWith53300SayingWhyWhenNoClusterIsIdle() throws SQLException {
        max = 2;
        Connection open = shared.connect(config("secret-a", "5m"));
        shared.dataSource(config("secret-b", "5m"));
        SQLException e = assertThrows(SQLException.class, () -> shared.connect(config("secret-c", "5m")));
        assertThat(e.getSQLState()).isEqualTo("53300");
        assertThat(e.getMessage()).contains("2 shared clusters are open", "pgcluster.maxSharedClusters allows (2)",
                "1 with connections open", "1 handed out by PgClusterDriver.dataSource", "differ")
                .doesNotContain("secret");
        assertThat(kind.opened).hasSize(2);
        assertThat(shared.size()).isEqualTo(2);

        open.close(); // now one is idle: it makes room
        shared.connect(config("secret-c", "5m"));
        assertThat(kind.opened.get(0).closes).hasValue(1);
        assertThat(kind.opened).hasSize(3);
    }

    @Test
    void aClusterThatCannotStartIsForgotten() throws SQLException {
        assertThrows(IllegalStateException.class, () -> shared.connect(config("cannot-start", "5m")));
        assertThat(shared.size()).isZero();
        max = 1;
        shared.connect(config("a", "5m")).close(); // the failed one does not count against the cap
        assertThat(shared.size()).isEqualTo(1);
    }

    @Test
    void theReleaseThreadRunsOnlyWhileSomethingIsShared() throws Exception {
        SharedClusters<FakeDs> background = new SharedClusters<>(kind, () -> max, System::nanoTime, true);
        assertThat(background.releasing()).isFalse();
        background.connect(config("a", "0")).close();
        assertThat(background.releasing()).isTrue();
        awaitTrue(() -> background.size() == 0 && !background.releasing());
        assertThat(kind.opened.get(0).closes).hasValue(1);
        awaitTrue(() -> !threadAlive(SharedClusters.RELEASE_THREAD));

        background.connect(config("a", "5m"));
        assertThat(background.releasing()).isTrue();
        assertThat(threadAlive(SharedClusters.RELEASE_THREAD)).isTrue();
        assertThat(background.closeAll()).isEqualTo(1);
        assertThat(background.releasing()).as("stopped by closeAll()").isFalse();
        awaitTrue(() -> !threadAlive(SharedClusters.RELEASE_THREAD));
    }

    @Test
    void theDriverReleasesItsIdleClustersAndTheirThreads() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        Properties info = new Properties();
        info.setProperty("user", "app");
        info.setProperty("password", "x");
        info.setProperty("sharedIdleTimeout", "0");
        for (int i = 0; i < 5; i++) {
            info.setProperty("password", "password-" + i);
            DriverManager.getConnection(URL, info).close();
        }
        awaitTrue(() -> PgClusterDriver.sharedCount() == 0);
        awaitTrue(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && !before.contains(t) && t.getName().startsWith("pgcluster-")));
        assertThat(PgClusterDriver.closeAll()).isZero();
    }

    @Test
    void theCapComesFromASystemProperty() throws SQLException {
        String before = System.getProperty(SharedClusters.MAX_PROPERTY);
        try {
            System.clearProperty(SharedClusters.MAX_PROPERTY);
            assertThat(SharedClusters.maxFromSystemProperty()).isEqualTo(32);
            System.setProperty(SharedClusters.MAX_PROPERTY, " 5 ");
            assertThat(SharedClusters.maxFromSystemProperty()).isEqualTo(5);
            for (String bad : List.of("0", "-1", "many", "10001", "2147483648")) {
                System.setProperty(SharedClusters.MAX_PROPERTY, bad);
                SQLException e = assertThrows(SQLException.class, SharedClusters::maxFromSystemProperty);
                assertThat(e.getSQLState()).isEqualTo("22023");
                assertThat(e.getMessage()).contains("pgcluster.maxSharedClusters='" + bad + "'", "1 to 10000");
            }
        } finally {
            if (before == null) {
                System.clearProperty(SharedClusters.MAX_PROPERTY);
            } else {
                System.setProperty(SharedClusters.MAX_PROPERTY, before);
            }
        }
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
    }

    /** Waits (not a timing assertion: the bound is only there so that a broken release cannot hang the build). */
    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline < 0).as("condition within 20 s").isTrue();
            Thread.sleep(20);
        }
    }
}
