package io.pgcluster.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Stats.median(List.of(5, 1, 3))).isEqualTo(3.0);
        assertThat(Stats.median(List.of(4L, 1L, 3L, 2L))).isEqualTo(2.5);
        assertThat(Stats.median(List.of(0.9))).isEqualTo(0.9);
    }

    @Test
    void quantilesInterpolateBetweenRanks() {
        List<Integer> v = List.of(40, 10, 30, 20);
        assertThat(Stats.quantile(v, 0)).isEqualTo(10.0);
        assertThat(Stats.quantile(v, 1)).isEqualTo(40.0);
        assertThat(Stats.quantile(v, 0.5)).isEqualTo(25.0);
        assertThat(Stats.quantile(v, 0.25)).isEqualTo(17.5);
        assertThatThrownBy(() -> Stats.quantile(v, 1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void maxIsTheLargest() {
        assertThat(Stats.max(List.of(3, 17, -2))).isEqualTo(17.0);
    }

    @Test
    void noValuesIsAnError() {
        assertThatThrownBy(() -> Stats.median(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Stats.max(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
