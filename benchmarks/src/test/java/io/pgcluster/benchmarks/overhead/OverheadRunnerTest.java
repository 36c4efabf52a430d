package io.pgcluster.benchmarks.overhead;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.benchmarks.overhead.OverheadRunner.Settings;
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
}
