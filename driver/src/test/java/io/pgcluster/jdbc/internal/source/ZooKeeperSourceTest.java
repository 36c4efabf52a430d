package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Without a server (the live behaviour is proven by ZooKeeperIT): unreachable is reported, close() ends threads. */
class ZooKeeperSourceTest {

    @Test
    void noServerIsReportedAfterTheTimeoutAndCloseEndsTheClientThreads() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        ScheduledExecutorService topology = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgcluster-zk-unit-topology");
            t.setDaemon(true);
            return t;
        });
        ClusterView view = new ClusterView("zk-unit");
        ZooKeeperSource source = new ZooKeeperSource("zk-unit", List.of(new HostAndPort("127.0.0.1", port)),
                "/service", "demo", Duration.ofMillis(300), Duration.ofMillis(100), topology);
        try {
            assertThat(source.describe()).isEqualTo("zookeeper [127.0.0.1:" + port + "] /service/demo/");
            source.start(view);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (view.current().sourceProblem() == null
                    || !view.current().sourceProblem().startsWith("ZooKeeper [127.0.0.1:" + port + "]: ")) {
                assertThat(System.nanoTime() - deadline).as("unreachable reported; now: %s", view.current())
                        .isNegative();
                Thread.sleep(20);
            }
            assertThat(view.current().isKnown()).isFalse();
            assertThat(clientThreads()).as("the client's threads, named after the cluster")
                    .contains("zookeeper-zk-unit-EventThread")
                    .anyMatch(n -> n.startsWith("zookeeper-zk-unit-SendThread("));
            assertThat(Thread.currentThread().getName()).doesNotStartWith("zookeeper-");
        } finally {
            source.close();
            topology.shutdown();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!clientThreads().isEmpty()) {
            assertThat(System.nanoTime() - deadline).as("threads left: %s", clientThreads()).isNegative();
            Thread.sleep(20);
        }
        source.close(); // idempotent
    }

    private static List<String> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("zookeeper-zk-unit")).collect(Collectors.toList());
    }
}
