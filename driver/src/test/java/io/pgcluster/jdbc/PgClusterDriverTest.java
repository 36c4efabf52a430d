package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.config.PgClusterConfigException;
import io.pgcluster.jdbc.config.PgClusterProperty;
import io.pgcluster.jdbc.config.PgClusterUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLNonTransientException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgClusterDriverTest {
    private static final String SECRET = "Hunter2-secret";
    /** Construction does not connect, and connections bind lazily: nothing listens on these ports. */
    private static final String URL = "jdbc:pgcluster:endpoints://127.0.0.1:1/db?read=127.0.0.1:2";

    private final PgClusterDriver driver = new PgClusterDriver();
    private Set<Thread> threadsBefore;

    @BeforeEach
    void rememberThreads() {
        threadsBefore = pgclusterThreads();
    }

    @AfterEach
    void closeEverything() throws InterruptedException {
        PgClusterDriver.closeAll();
        assertNoNewPgclusterThreads();
    }

    private static Properties credentials(String password) {
        Properties p = new Properties();
        p.setProperty("user", "app");
        p.setProperty("password", password);
        return p;
    }

    private static Set<Thread> pgclusterThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("pgcluster-"))
                .collect(Collectors.toSet());
    }

    private void assertNoNewPgclusterThreads() throws InterruptedException {
        Set<Thread> left = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            left = pgclusterThreads();
            left.removeAll(threadsBefore);
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        assertThat(left.stream().map(Thread::getName)).as("pgcluster threads alive after closeAll()").isEmpty();
    }

    @Test
    void acceptsOnlyPgclusterUrls() {
        assertThat(driver.acceptsURL(URL)).isTrue();
        assertThat(driver.acceptsURL("jdbc:pgcluster://h/db")).isTrue();
        assertThat(driver.acceptsURL("jdbc:postgresql://127.0.0.1:1/db")).isFalse();
        assertThat(driver.acceptsURL(null)).isFalse();
        assertThat(driver.acceptsURL("")).isFalse();
    }

    @Test
    void connectReturnsNullForOtherUrls() throws SQLException {
        assertThat(driver.connect("jdbc:postgresql://127.0.0.1:1/db", credentials(SECRET))).isNull();
        assertThat(driver.connect(null, null)).isNull();
        assertThat(PgClusterDriver.sharedCount()).isZero();
    }

    @Test
    void isRegisteredWithDriverManager() throws SQLException {
        assertThat(DriverManager.getDriver(URL)).isInstanceOf(PgClusterDriver.class);
        try (Connection c = DriverManager.getConnection(URL, "app", SECRET)) {
            assertThat(c).isNotNull();
            assertThat(c.isClosed()).isFalse();
        }
        SQLException e = assertThrows(SQLException.class,
                () -> DriverManager.getConnection("jdbc:pgcluster:etdc://h:2379/db?scope=s", "app", SECRET));
        assertThat(e.getSQLState()).isEqualTo("08001");
        assertThat((Throwable) e).hasMessageContaining("did you mean 'etcd'?");
    }

    @Test
    void badUrlsFailWithTheDocumentedSqlStates() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("jdbc:pgcluster://h:2379/db?scope=s", "08001"),
                Map.entry("jdbc:pgcluster:etdc://h:2379/db?scope=s", "08001"),
                Map.entry("jdbc:pgcluster:consul://h:8500/db", "08001"),
                Map.entry("jdbc:pgcluster:zookeeper://h:2181/db", "08001"),
                Map.entry("jdbc:pgcluster:etcd:h:2379/db?scope=s", "08001"),
                Map.entry("jdbc:pgcluster:etcd://app:" + SECRET + "@h:2379/db?scope=s", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1:99999/db", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1:5432", "08001"),
                Map.entry("jdbc:pgcluster:etcd://h:2379/db", "08001"),
                Map.entry("jdbc:pgcluster:endpoints://w:1/db", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?read=r:1", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?failovrTimeout=5s", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?user=a&user=b", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?=x", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?targetServerType=primary", "08001"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?failoverTimeout=30x", "22023"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?writePoolSize=0", "22023"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?loadBalance=fastest", "22023"),
                Map.entry("jdbc:pgcluster:hosts://db1/db?minIdle=20", "22023"),
                Map.entry("jdbc:pgcluster:etcd://h/db?scope=s&namespace=service", "22023"));
        cases.forEach((url, state) -> {
            String withPassword = url + (url.contains("?") ? "&" : "?") + "password=" + SECRET;
            for (String u : List.of(url, withPassword)) {
                SQLException e = assertThrows(SQLException.class, () -> driver.connect(u, credentials(SECRET)), u);
                assertThat(e.getSQLState()).as(u).isEqualTo(state);
                assertThat((Throwable) e).as(u).isInstanceOf(state.equals("08001") ? SQLNonTransientConnectionException.class
                        : SQLNonTransientException.class);
                assertThat(e.getCause()).as(u).isInstanceOf(PgClusterConfigException.class);
                assertThat(e.getMessage()).as(u).startsWith("pgcluster: ").doesNotContain(SECRET);
                assertThat(e.toString()).as(u).doesNotContain(SECRET);
                assertThat(e.getCause().toString()).as(u).doesNotContain(SECRET);
            }
        });
        assertThat(PgClusterDriver.sharedCount()).isZero();
    }

    @Test
    void sqlStateRuleFollowsTheProperty() {
        PgClusterConfigException bad = assertThrows(PgClusterConfigException.class,
                () -> PgClusterConfig.builder().set("retryMaxAttempts", "0"));
        assertThat(PgClusterDriver.sqlState(bad)).isEqualTo("22023");
        Map<PgClusterProperty, String> locating = Map.of(
                PgClusterProperty.SOURCE, "jdbc:pgcluster:etdc://h/db",
                PgClusterProperty.SERVERS, "jdbc:pgcluster:hosts://h:0/db",
                PgClusterProperty.READ, "jdbc:pgcluster:endpoints://w:1/db",
                PgClusterProperty.DATABASE, "jdbc:pgcluster:hosts://h",
                PgClusterProperty.SCOPE, "jdbc:pgcluster:etcd://h/db");
        locating.forEach((p, url) -> {
            PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                    () -> PgClusterUrl.parse(url, null).build());
            assertThat(e.property()).isEqualTo(p);
            assertThat(PgClusterDriver.sqlState(e)).isEqualTo("08001");
        });
        PgClusterConfigException unknown = assertThrows(PgClusterConfigException.class,
                () -> PgClusterConfig.builder().set("nope", "1"));
        assertThat(PgClusterDriver.sqlState(unknown)).isEqualTo("08001");
        assertThat((Throwable) PgClusterDriver.toSqlException(bad)).isInstanceOf(SQLNonTransientException.class)
                .isNotInstanceOf(SQLNonTransientConnectionException.class).hasCause(bad);
    }

    @Test
    void propertyInfoListsTheCatalogWithCurrentValuesAndNoPasswords() {
        Properties info = credentials(SECRET);
        info.setProperty("dcsPassword", SECRET);
        info.setProperty("sslpassword", SECRET);
        DriverPropertyInfo[] infos = driver.getPropertyInfo(
                "jdbc:pgcluster:etcd://e1:2379,e2:2379/orders?scope=orders&failoverTimeout=20s&sslmode=require&dcsTls=true"
                        + "&password=" + SECRET, info);
        Map<String, DriverPropertyInfo> byName = Arrays.stream(infos)
                .collect(Collectors.toMap(i -> i.name, Function.identity()));
        assertThat(byName.keySet()).containsAll(Arrays.stream(PgClusterProperty.values()).map(PgClusterProperty::key)
                .collect(Collectors.toList()));
        assertThat(infos[0].name).isEqualTo(PgClusterProperty.values()[0].key());
        assertThat(byName.get("source").value).isEqualTo("etcd");
        assertThat(byName.get("servers").value).isEqualTo("e1:2379,e2:2379");
        assertThat(byName.get("database").value).isEqualTo("orders");
        assertThat(byName.get("failoverTimeout").value).isEqualTo("20s");
        assertThat(byName.get("writePoolSize").value).isEqualTo("10"); // default
        assertThat(byName.get("user").value).isEqualTo("app");
        assertThat(byName.get("password").value).isEqualTo("****");
        assertThat(byName.get("dcsPassword").value).isEqualTo("****");
        assertThat(byName.get("sslpassword").value).isEqualTo("****");
        assertThat(byName.get("sslmode").value).isEqualTo("require");
        assertThat(byName.get("sslmode").description).startsWith("pgjdbc: ");
        assertThat(byName.get("loadBalance").choices).containsExactly("roundRobin", "random", "leastConnections");
        assertThat(byName.get("writePoolSize").choices).isNull();
        assertThat(byName.get("connectionTimeout").description).contains("250ms to 10m");
        assertThat(byName.get("database").required).isTrue();
        assertThat(byName.get("scope").required).isTrue();
        assertThat(byName.get("read").required).isFalse();
        assertThat(byName.get("failoverTimeout").required).isFalse();
        for (DriverPropertyInfo i : infos) {
            assertThat(i.description).as(i.name).isNotBlank();
            assertThat(String.valueOf(i.value)).as(i.name).doesNotContain(SECRET);
        }

        Map<String, DriverPropertyInfo> endpoints = Arrays.stream(driver.getPropertyInfo(URL, null))
                .collect(Collectors.toMap(i -> i.name, Function.identity()));
        assertThat(endpoints.get("read").required).isTrue();
        assertThat(endpoints.get("read").value).isEqualTo("127.0.0.1:2");
        assertThat(endpoints.get("scope").required).isFalse();
        assertThat(endpoints.get("password").value).isNull();
    }

    @Test
    void propertyInfoIsBestEffortForBadUrls() {
        DriverPropertyInfo[] infos = driver.getPropertyInfo("jdbc:pgcluster:etdc://h:99999/db?failoverTimeout=30x"
                + "&password=" + SECRET + "&=x&y=%zz", null);
        Map<String, DriverPropertyInfo> byName = Arrays.stream(infos)
                .collect(Collectors.toMap(i -> i.name, Function.identity()));
        assertThat(byName.get("source").value).isNull();
        assertThat(byName.get("servers").value).isEqualTo("h:99999");
        assertThat(byName.get("failoverTimeout").value).isEqualTo("30x");
        assertThat(byName.get("password").value).isEqualTo("****");
        assertThat(driver.getPropertyInfo("jdbc:pgcluster:", null)).hasSize(PgClusterProperty.values().length);
        assertThat(driver.getPropertyInfo(null, null)).hasSize(PgClusterProperty.values().length);
        assertThat(driver.getPropertyInfo("jdbc:postgresql://h/db", null)).isEmpty();
    }

    @Test
    void versionAndCompliance() {
        assertThat(driver.getMajorVersion()).isZero();
        assertThat(driver.getMinorVersion()).isEqualTo(1);
        assertThat(driver.jdbcCompliant()).isFalse();
        assertThatThrownBy(driver::getParentLogger).isInstanceOf(SQLFeatureNotSupportedException.class);
    }

    @Test
    void connectionsOfTheSameSettingsShareOneDataSource() throws SQLException {
        try (Connection c1 = driver.connect(URL, credentials(SECRET));
                Connection c2 = driver.connect(URL, credentials(SECRET));
                Connection c3 = driver.connect(URL + "&failoverTimeout=30s&writePoolSize=10", credentials(SECRET))) {
            assertThat(c1).isNotNull().isNotSameAs(c2);
            assertThat(c2).isNotNull();
            assertThat(c3).isNotNull();
            assertThat(PgClusterDriver.sharedCount()).isEqualTo(1);
        }
        PgClusterDataSource ds = PgClusterDriver.dataSource(URL, credentials(SECRET));
        assertThat(PgClusterDriver.dataSource(URL, credentials(SECRET))).isSameAs(ds);
        assertThat(ds.isClosed()).isFalse();
        assertThat(ds.config().password()).isEqualTo(SECRET);
        assertThat(ds.toString()).doesNotContain(SECRET);

        try (Connection other = driver.connect(URL, credentials("another-password"))) {
            assertThat(other).isNotNull();
            assertThat(PgClusterDriver.sharedCount()).isEqualTo(2);
        }
        PgClusterDataSource otherDs = PgClusterDriver.dataSource(URL, credentials("another-password"));
        assertThat(otherDs).isNotSameAs(ds);
        assertThat(otherDs.config().password()).isEqualTo("another-password");
        Properties passwordOnly = new Properties();
        passwordOnly.setProperty("password", SECRET);
        assertThat(PgClusterDriver.dataSource(URL + "&user=other", passwordOnly)).isNotSameAs(ds);
        // Properties win over the URL, so this is the same user and password again
        assertThat(PgClusterDriver.dataSource(URL + "&user=other&password=x", credentials(SECRET))).isSameAs(ds);
    }

    @Test
    void concurrentFirstConnectionsStartOneDataSource() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<PgClusterDataSource>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    driver.connect(URL, null).close();
                    return PgClusterDriver.dataSource(URL, null);
                }));
            }
            start.countDown();
            Set<PgClusterDataSource> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Future<PgClusterDataSource> f : results) {
                seen.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(seen).hasSize(1);
            assertThat(PgClusterDriver.sharedCount()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closingASharedDataSource() throws SQLException {
        PgClusterDataSource ds = PgClusterDriver.dataSource(URL, credentials(SECRET));
        assertThat(PgClusterDriver.close(URL, credentials(SECRET))).isTrue();
        assertThat(ds.isClosed()).isTrue();
        assertThat(PgClusterDriver.close(URL, credentials(SECRET))).isFalse();
        assertThat(PgClusterDriver.sharedCount()).isZero();

        PgClusterDataSource again = PgClusterDriver.dataSource(URL, credentials(SECRET));
        assertThat(again).isNotSameAs(ds);
        again.close(); // closed by its user: the next connect starts a new one
        try (Connection c = driver.connect(URL, credentials(SECRET))) {
            assertThat(c).isNotNull();
        }
        PgClusterDataSource third = PgClusterDriver.dataSource(URL, credentials(SECRET));
        assertThat(third).isNotSameAs(again);
        assertThat(third.isClosed()).isFalse();
        assertThat(PgClusterDriver.sharedCount()).isEqualTo(1);

        SQLException e = assertThrows(SQLException.class,
                () -> PgClusterDriver.close("jdbc:pgcluster:hosts://db1:0/db", null));
        assertThat(e.getSQLState()).isEqualTo("08001");
        assertThrows(SQLException.class, () -> PgClusterDriver.dataSource("jdbc:postgresql://h/db", null));
    }

    @Test
    void closeAllStopsEveryPgclusterThread() throws Exception {
        driver.connect(URL, credentials(SECRET)).close();
        driver.connect(URL, credentials("another-password")).close();
        driver.connect("jdbc:pgcluster:hosts://127.0.0.1:1/db?pollInterval=50ms", credentials(SECRET)).close();
        assertThat(pgclusterThreads()).hasSizeGreaterThan(threadsBefore.size());
        assertThat(PgClusterDriver.closeAll()).isEqualTo(3);
        assertThat(PgClusterDriver.sharedCount()).isZero();
        assertNoNewPgclusterThreads();
        assertThat(PgClusterDriver.closeAll()).isZero();
    }

    @Test
    void sharedKeysCompareCredentialsButNeverPrintThem() {
        PgClusterConfig a = PgClusterUrl.parse(URL, credentials(SECRET)).build();
        PgClusterConfig b = PgClusterUrl.parse(URL + "&connectionTimeout=5000", credentials(SECRET)).build();
        PgClusterConfig c = PgClusterUrl.parse(URL, credentials("another-password")).build();
        PgClusterConfig d = PgClusterUrl.parse("jdbc:pgcluster:patroni://127.0.0.1:1/db?dcsUser=u"
                + "&dcsPassword=x&dcsTls=true", credentials(SECRET)).build();
        assertThat(new SharedKey(a)).isEqualTo(new SharedKey(b)).hasSameHashCodeAs(new SharedKey(b));
        assertThat(new SharedKey(a)).isNotEqualTo(new SharedKey(c)).isNotEqualTo(new SharedKey(d));
        assertThat(new SharedKey(a).toString()).doesNotContain(SECRET).contains("password=****");
    }
}
