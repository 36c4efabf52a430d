package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The driver's packages depend on each other without a cycle, so that the code reads in one direction: config ->
 * internal.connect -> internal.source -> internal.topology -> internal.routing -> internal.failover -> root (the
 * JDBC layer) -> micrometer, with the observer SPI {@code internal.metrics} depending on the topology alone. The graph is the one {@code jdeps} reads from the
 * compiled main classes, so a dependency through a type in a signature counts as much as one in a method body.
 */
class PackageCyclesTest {
    private static final String PREFIX = "io.pgcluster.jdbc";
    private static final Pattern EDGE = Pattern.compile("^\\s+([\\w.]+)\\s+->\\s+([\\w.]+)\\s");

    /**
     * Cycles that lie in files other engineers reshape at the same time, each as the set of packages it runs
     * through; empty when there is none. A listed cycle that no longer exists fails the test too, so that the list
     * only ever shrinks.
     */
    private static final Set<Set<String>> KNOWN = Set.of();

    @Test
    void driverPackagesFormNoCycle() throws Exception {
        Map<String, Set<String>> graph = packageGraph();
        assertThat(graph).as("jdeps found the driver's packages").containsKeys(PREFIX, PREFIX + ".internal.routing");
        List<Set<String>> cycles = cycles(graph);
        List<String> unexpected = new ArrayList<>();
        for (Set<String> c : cycles) {
            if (!KNOWN.contains(c)) {
                unexpected.add(c + ", e.g. " + describe(c, graph));
            }
        }
        assertThat(unexpected).as("package cycles in driver main code (package graph: %s)", graph).isEmpty();
        assertThat(cycles).as("known cycles still present (remove the fixed ones from KNOWN)")
                .containsExactlyInAnyOrderElementsOf(KNOWN);
    }

    /**
     * What observers implement needs nothing but the topology: no Micrometer, no HikariCP, no pool, no data source
     * (the Micrometer code is in {@code micrometer}).
     */
    @Test
    void theObserverSpiUsesOnlyTheTopology() throws Exception {
        Set<String> uses = new TreeSet<>(dependencies().get(PREFIX + ".internal.metrics"));
        uses.removeIf(p -> p.startsWith("java."));
        assertThat(uses).containsExactlyInAnyOrder(PREFIX + ".topology", "org.slf4j");
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", Set.of("b"));
        graph.put("b", Set.of("c"));
        graph.put("c", Set.of("a", "d"));
        graph.put("d", Set.of());
        List<Set<String>> cycles = cycles(graph);
        assertThat(cycles).containsExactly(Set.of("a", "b", "c"));
        assertThat(describe(cycles.get(0), graph)).isEqualTo("a -> b -> c -> a");
    }

    /** Package -> packages of the driver it uses, from {@code jdeps -verbose:package} on the main classes. */
    static Map<String, Set<String>> packageGraph() throws URISyntaxException {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Map.Entry<String, Set<String>> e : dependencies().entrySet()) {
            Set<String> driver = new TreeSet<>();
            for (String p : e.getValue()) {
                if (p.equals(PREFIX) || p.startsWith(PREFIX + ".")) {
                    driver.add(p);
                }
            }
            graph.put(e.getKey(), driver);
        }
        return graph;
    }

    /** Each driver package -> every other package it uses (the JDK's and libraries' too). */
    static Map<String, Set<String>> dependencies() throws URISyntaxException {
        Path classes = Path.of(PgClusterDataSource.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("no jdeps"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
                classes.toString());
        assertThat(rc).as("jdeps: %s", err).isZero();
        Map<String, Set<String>> uses = new TreeMap<>();
        for (String line : out.toString().split("\\R")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && (m.group(1).equals(PREFIX) || m.group(1).startsWith(PREFIX + "."))) {
                Set<String> targets = uses.computeIfAbsent(m.group(1), k -> new TreeSet<>());
                if (!m.group(1).equals(m.group(2))) {
                    targets.add(m.group(2));
                }
            }
        }
        return uses;
    }

    /** The strongly connected components with more than one package (Tarjan), in a stable order. */
    static List<Set<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        for (String v : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(v)) {
                connect(v, graph, index, low, stack, onStack, out);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }

    /** A shortest cycle through {@code component}'s first package, e.g. {@code a -> b -> a}: the imports to look at. */
    static String describe(Set<String> component, Map<String, Set<String>> graph) {
        String start = component.iterator().next();
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>();
        queue.add(start);
        while (!queue.isEmpty()) {
            String v = queue.poll();
            for (String w : graph.getOrDefault(v, Set.of())) {
                if (w.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String x = v; x != null; x = cameFrom.get(x)) {
                        path.add(0, x);
                    }
                    return String.join(" -> ", path) + " -> " + start;
                }
                if (component.contains(w) && !cameFrom.containsKey(w)) {
                    cameFrom.put(w, v);
                    queue.add(w);
                }
            }
        }
        return String.join(", ", component);
    }
}
