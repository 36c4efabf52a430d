package io.pgcluster.examples.jpa;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.examples.jpa.HttpLoad.Kind;
import io.pgcluster.examples.jpa.HttpLoad.Request;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NotesReportTest {
    private static final long MS = 1_000_000L;

    private static Request read(long fromMs, long toMs, int status) {
        return new Request("kill -9", Kind.READ_LIST, "/notes", status, fromMs * MS, toMs * MS, false, false, null);
    }

    @Test
    void readGapsCountOnlySuccessfulReadsWithinTheInterval() {
        NotesReport report = new NotesReport(List.of(read(0, 100, 200), read(100, 900, 500), read(200, 1500, 200),
                read(1500, 1600, 200), new Request("kill -9", Kind.WRITE, "/notes", 303, 0, 5000 * MS, false, true,
                        null)));
        assertThat(report.readGapBetween(50 * MS, 2000 * MS)).as("from 100 to 1500").isEqualTo(1400);
        assertThat(report.readGapBetween(1650 * MS, 2000 * MS)).as("none in it: all of it").isEqualTo(350);
        assertThat(report.readsOkBetween(0, 1500 * MS)).isEqualTo(2);
        assertThat(report.longestReadGap("kill -9")).as("from the first read's start to its last end").isEqualTo(1400);
        assertThat(report.failedByKind("kill -9")).isEqualTo(Map.of("READ_LIST 500", 1L));
        assertThat(report.longest("kill -9", Kind::isRead)).isEqualTo(1300);
    }

    @Test
    void missedGoalsListTheirMeasurementsAndTheTableShowsAll() {
        NotesReport report = new NotesReport(List.of()).goal("no stale read", false, "3 of 40")
                .goal("0 failed", true, "0 of 12");
        assertThat(report.missedGoals()).containsExactly("no stale read: 3 of 40");
        assertThat(report.goalTable().text()).contains("| no stale read | 3 of 40 | **missed** |")
                .contains("| 0 failed | 0 of 12 | met |");
    }
}
