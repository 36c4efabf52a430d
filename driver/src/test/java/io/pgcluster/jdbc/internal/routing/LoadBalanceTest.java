package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.config.PgClusterConfig.LoadBalance;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Where each balancing mode starts among the eligible replicas. */
class LoadBalanceTest {

    /** Candidates with fixed connections in use (-1: suspect). */
    private static LoadBalance.Candidates active(int... counts) {
        return new LoadBalance.Candidates() {
            @Override
            public int size() {
                return counts.length;
            }

            @Override
            public int activeConnections(int i) {
                return counts[i];
            }
        };
    }

    private static List<Integer> picks(LoadBalance lb, LoadBalance.Candidates c, int times) {
        AtomicInteger next = new AtomicInteger();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            out.add(lb.first(c, next));
        }
        return out;
    }

    @Test
    void roundRobinTakesEachInTurn() {
        assertThat(picks(LoadBalance.ROUND_ROBIN, active(0, 0, 0), 4)).containsExactly(0, 1, 2, 0);
    }

    @Test
    void roundRobinSurvivesTheCounterOverflowing() {
        AtomicInteger next = new AtomicInteger(Integer.MAX_VALUE);
        int first = LoadBalance.ROUND_ROBIN.first(active(0, 0, 0), next);
        int second = LoadBalance.ROUND_ROBIN.first(active(0, 0, 0), next);
        assertThat(first).isBetween(0, 2);
        assertThat(second).isBetween(0, 2);
    }

    @Test
    void leastConnectionsTakesTheLeastBusySkippingSuspectsAndSharesTies() {
        assertThat(picks(LoadBalance.LEAST_CONNECTIONS, active(3, 1, 2), 3)).containsExactly(1, 1, 1);
        assertThat(picks(LoadBalance.LEAST_CONNECTIONS, active(-1, 5, 2), 2)).containsExactly(2, 2);
        assertThat(picks(LoadBalance.LEAST_CONNECTIONS, active(0, 0, 4), 3)).containsExactly(0, 1, 0);
    }

    @Test
    void randomStaysInRange() {
        assertThat(picks(LoadBalance.RANDOM, active(0, 0, 0), 50)).allSatisfy(i -> assertThat(i).isBetween(0, 2))
                .contains(0, 1, 2);
    }
}
