package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {
    @Test
    void allocatesDistinctBindablePortsAndNeverRepeatsThem() throws IOException {
        int[] first = Ports.allocate(20);
        int[] second = Ports.allocate(20);
        Set<Integer> all = new HashSet<>();
        Arrays.stream(first).forEach(all::add);
        Arrays.stream(second).forEach(all::add);
        assertThat(all).hasSize(40).allMatch(p -> p > 0 && p <= 65535);
        for (int p : first) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                assertThat(s.getLocalPort()).isEqualTo(p);
            }
        }
    }
}
