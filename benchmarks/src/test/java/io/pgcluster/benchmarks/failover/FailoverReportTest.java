package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.benchmarks.failover.EventResult.Interval;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailoverReportTest {

    private static EventResult event(Approach a, EventKind k, long outage, long floor, long firstWrite,
            Map<String, Long> failures, long readsOnPrimaryWithReplica) {
        return new EventResult(a, k, 1, "pg1", "pg2", -2000, 8000, 1900, new Interval(500, 500 + floor, true),
                new Interval(450, 450 + outage, true), firstWrite, firstWrite - 10, 3, 1000, 1000, failures,
                readsOnPrimaryWithReplica,
                readsOnPrimaryWithReplica, new Interval(0, 40, true), 30, 0,
                new int[EventResult.TIMELINE_TO_MS / 100 + 20],
                new int[EventResult.TIMELINE_TO_MS / 100 + 20], null);
    }

    private static FailoverReport report(List<EventResult> rs) {
        return new FailoverReport(rs, new EnumMap<>(Approach.class), new EnumMap<>(Approach.class));
    }

    @Test
    void targetsMetWhenTheMeasurementsAllowIt() {
        String md = report(List.of(
                event(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1540, 1480, 12, Map.of(), 0),
                event(Approach.PGCLUSTER, EventKind.KILL_PRIMARY, 9100, 9000, 150, Map.of(), 0))).targets();
        assertThat(md).contains("worst 60 ms | met").contains("worst 140 ms) | met").doesNotContain("missed");
    }

    @Test
    void targetsMissedSayByHowMuch() {
        String md = report(List.of(
                event(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1700, 1480, 12, Map.of("write:08001", 2L), 3),
                event(Approach.PGCLUSTER, EventKind.KILL_PRIMARY, 9100, 9000, 450, Map.of("read:08006", 1L), 0)))
                .targets();
        assertThat(md).contains("**missed** by 120 ms")      // 220 ms over the floor, target 100
                .contains("**missed** by 250 ms")            // first write 450 ms after the key, target 200
                .contains("**missed** by 2 failed")          // failed transactions
                .contains("**missed** by 1 failed")          // failed reads
                .contains("**missed** by 3 reads");          // reads on the primary with a healthy replica
    }

    @Test
    void tableHasARowPerApproachWithMediansAndSums() {
        String md = report(List.of(
                event(Approach.HAPROXY_TIGHT, EventKind.SWITCHOVER, 3000, 1500, 900, Map.of("write:25006", 40L), 0),
                event(Approach.HAPROXY_TIGHT, EventKind.SWITCHOVER, 4000, 1600, 1100, Map.of("write:08006", 2L), 0)))
                .markdown();
        assertThat(md).contains("| " + Approach.HAPROXY_TIGHT.label + " | 2 | 3500 / 4000 | 1550 / 1600 | 1950 / 2400 "
                + "| 1000 / 1100 (990 / 1090) | 42 (08006: 2, 25006: 40) | 0 | 40 | 0 (0) |");
        assertThat(md).doesNotContain("pgcluster's targets");
    }

    @Test
    void chartPicksTheMedianSwitchoverOfEachApproach() {
        String svg = report(List.of(
                event(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1500, 1480, 12, Map.of(), 0),
                event(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1600, 1480, 12, Map.of(), 0),
                event(Approach.PGCLUSTER, EventKind.SWITCHOVER, 9999, 1480, 12, Map.of(), 0),
                event(Approach.PGJDBC, EventKind.KILL_PRIMARY, 9000, 9000, 12, Map.of(), 0))).switchoverChart();
        assertThat(svg).contains("write outage 1600 ms").doesNotContain("write outage 9999")
                .doesNotContain(Approach.PGJDBC.label);
    }

    @Test
    void timelineCsvHoldsTheChartsData() {
        EventResult e = event(Approach.PGCLUSTER, EventKind.SWITCHOVER, 1500, 1480, 12, Map.of(), 0);
        e.okWritesPerBucket()[20] = 7;
        e.failedWritesPerBucket()[21] = 2;
        String[] lines = report(List.of(e)).switchoverTimelineCsv().split("\n");
        assertThat(lines[0]).isEqualTo("approach,repetition,bucket_from_ms,bucket_to_ms,writes_ok,writes_failed,"
                + "in_window");
        assertThat(lines).contains("pgcluster,1,0,100,7,0,true", "pgcluster,1,100,200,0,2,true",
                "pgcluster,1,7900,8000,0,0,true", "pgcluster,1,8000,8100,0,0,false");
    }

    @Test
    void csvHasAHeaderAndALinePerEvent() {
        String csv = report(List.of(event(Approach.PGJDBC, EventKind.SWITCHOVER, 3000, 1500, 10, Map.of(), 0),
                EventResult.failedEvent(Approach.PGJDBC, EventKind.KILL_PRIMARY, 1, "pg2", "boom, \"quoted\"")))
                .csv();
        String[] lines = csv.split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0].split(",").length).isEqualTo(lines[1].split(",").length);
        assertThat(lines[2]).endsWith("\"boom, \"\"quoted\"\"\"");
    }

    private static EventResult reads(Approach a, EventKind k, long readGap, long longestRead, long stale,
            Map<String, Long> failures, long onPrimary) {
        EventResult e = event(a, k, 1000, 900, 10, failures, onPrimary);
        return new EventResult(e.approach(), e.kind(), e.repetition(), e.oldLeader(), e.newLeader(), e.windowFromMs(),
                e.windowToMs(), e.keyMs(), e.floor(), e.outage(), e.firstWriteOnNewLeaderAfterKeyMs(),
                e.firstProbeCommitAfterKeyMs(), e.clientSawLeaderAfterKeyMs(), e.writesOk(), e.readsOk(), failures,
                onPrimary, onPrimary / 2, new Interval(100, 100 + readGap, true), longestRead, stale,
                e.okWritesPerBucket(), e.failedWritesPerBucket(), null);
    }

    @Test
    void applicationViewShowsFailedRequestsReadStallsStaleReadsAndReadsOnThePrimaryPerEventAndApproach() {
        String md = report(List.of(
                reads(Approach.PGJDBC, EventKind.KILL_PRIMARY, 9000, 9100, 0, Map.of("read:08006", 2L,
                        "write:08006", 3L), 400),
                reads(Approach.PGJDBC, EventKind.KILL_PRIMARY, 7000, 7500, 0, Map.of(), 300),
                reads(Approach.PGCLUSTER_ACR_RYW, EventKind.KILL_PRIMARY, 40, 35, 0, Map.of("write:08007", 1L), 0),
                reads(Approach.PGCLUSTER_ACR, EventKind.SWITCHOVER, 30, 20, 17, Map.of(), 0)))
                .applicationView();
        assertThat(md).contains("| kill -9 of the primary | " + Approach.PGJDBC.label
                + " | 2 | 5 | 2 | 8000 / 9000 | 9100 | 0 | 700 (350) |");
        assertThat(md).contains("| kill -9 of the primary | " + Approach.PGCLUSTER_ACR_RYW.label
                + " | 1 | 1 | 0 | 40 / 40 | 35 | 0 | 0 (0) |");
        assertThat(md).contains("| planned switchover | " + Approach.PGCLUSTER_ACR.label
                + " | 1 | 0 | 0 | 30 / 30 | 20 | 17 | 0 (0) |");
        assertThat(md.indexOf("planned switchover |")).as("events in their enum order")
                .isLessThan(md.indexOf("kill -9"));
        assertThat(md).doesNotContain("not measured");
    }

    @Test
    void applicationViewNamesTheApproachesThatCouldNotRun() {
        String md = report(List.of(reads(Approach.PGJDBC, EventKind.SWITCHOVER, 30, 20, 0, Map.of(), 0),
                EventResult.failedEvent(Approach.PGCLUSTER_ACR, EventKind.SWITCHOVER, 1, "?",
                        "not run: Unknown property 'readYourWrites'"))).applicationView();
        assertThat(md).contains("- " + Approach.PGCLUSTER_ACR.label + ": not run: Unknown property 'readYourWrites'")
                .doesNotContain("| planned switchover | " + Approach.PGCLUSTER_ACR.label);
        assertThat(report(List.of(EventResult.failedEvent(Approach.PGCLUSTER_ACR, EventKind.SWITCHOVER, 1, "?", "x")))
                .applicationView()).as("nothing measured, no table").isEmpty();
    }
}
