package io.pgcluster.benchmarks.overhead;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.benchmarks.overhead.OverheadRunner.Settings;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverheadRunnerTest {

    @Test
    void aFullRunIncludesTheWriteThenReadBenchmarks() {
        Settings s = Settings.parse(new String[0]);
        assertThat(s.benchmarks("select1ReadWrite", "writeThenRead")).isEqualTo("(select1ReadWrite|writeThenRead)");
    }

    @Test
    void rwRunsOnlyTheWriteThenReadBenchmarksInOneShortRound() {
        Settings s = Settings.parse(new String[] {"--rw"});
        assertThat(s.benchmarks("select1ReadWrite", "writeThenRead")).isEqualTo("(writeThenRead)");
        assertThat(s.rounds).isEqualTo(1);
        assertThat(s.threads).containsExactly(1);
        assertThat(Settings.parse(new String[] {"--rw", "--threads", "1,4"}).threads).containsExactly(1, 4);
    }

    @Test
    void quickAndAllocMeasureOnlyTheSelect1Benchmarks() {
        assertThat(Settings.parse(new String[] {"--alloc"}).benchmarks("select1ReadWrite", "writeThenRead"))
                .isEqualTo("(select1ReadWrite)");
        assertThat(Settings.parse(new String[] {"--quick"}).benchmarks("select1ReadWrite", "writeThenRead"))
                .isEqualTo("(select1ReadWrite)");
    }

    /** The last measured iteration of a fork also counts the trial's teardown (closing the data source). */
    @Test
    void bytesPerOpLeaveOutEachForksLastIterationUnlessItIsTheOnlyOne() {
        assertThat(OverheadRunner.meanButLast(List.of(List.of(100.0, 102.0, 190.0)))).isEqualTo(101.0);
        assertThat(OverheadRunner.meanButLast(List.of(List.of(10.0, 99.0), List.of(30.0, 99.0)))).isEqualTo(20.0);
        assertThat(OverheadRunner.meanButLast(List.of(List.of(7.0)))).isEqualTo(7.0);
        assertThat(OverheadRunner.meanButLast(List.of(List.of()))).isNaN();
    }
}
