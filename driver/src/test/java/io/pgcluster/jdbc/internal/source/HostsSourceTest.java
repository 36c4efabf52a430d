package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.topology.ClusterView;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The hosts source against servers that accept connections and never answer. */
class HostsSourceTest {

    /**
     * A poll probes the hosts one after the other, each bounded by dcsTimeout (pgjdbc's loginTimeout, at least 1 s);
     * close() must not wait for the remaining ones (it used to wait for the whole poll, here 8 s).
     */
    @Test
    void closeDoesNotWaitForTheRestOfAPollOnSilentServers() throws Exception {
        List<ServerSocket> silent = new ArrayList<>();
        ScheduledExecutorService topology = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgcluster-hosts-unit-topology");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < 8; i++) {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50); // accepted by the kernel
                silent.add(s);
            }
            List<HostAndPort> hosts = silent.stream().map(s -> new HostAndPort("127.0.0.1", s.getLocalPort()))
                    .toList();
            PgClusterConfig config = PgClusterConfig.builder()
                    .hosts(hosts.stream().map(HostAndPort::toString).collect(Collectors.joining(",")))
                    .database("app").user("app").password("pw").build();
            HostsSource source = new HostsSource("hosts-unit", hosts, new ServerConnector(config),
                    Duration.ofMillis(500), Duration.ofMillis(100), topology);
            source.start(new ClusterView("hosts-unit"));
            Thread.sleep(300); // the first probe is under way
            long t0 = System.nanoTime();
            source.close();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("close() in ms")
                    .isLessThan(5_000);
        } finally {
            topology.shutdownNow();
            for (ServerSocket s : silent) {
                s.close();
            }
        }
    }
}
