package io.pgcluster.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Free TCP ports on 127.0.0.1, found by binding port 0. All ports of one request are held open together, so they are
 * distinct; ports handed out earlier in this JVM are never handed out again, so two clusters of one test run cannot
 * collide while one of them has a member stopped.
 */
final class Ports {
    // A JVM-wide registry is deliberate: ports are a process-wide resource.
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {}

    static synchronized int[] allocate(int count) {
        List<ServerSocket> held = new ArrayList<>();
        int[] ports = new int[count];
        try {
            int found = 0;
            int attempts = 0;
            while (found < count) {
                if (++attempts > count + 1000) {
                    throw new TestkitException("Could not find " + count + " free ports on 127.0.0.1");
                }
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                held.add(s);
                if (HANDED_OUT.add(s.getLocalPort())) {
                    ports[found++] = s.getLocalPort();
                }
            }
            return ports;
        } catch (IOException e) {
            throw new TestkitException("Could not bind a free port on 127.0.0.1: " + e, e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }
}
