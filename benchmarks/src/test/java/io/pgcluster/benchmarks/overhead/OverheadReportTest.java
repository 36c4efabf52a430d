package io.pgcluster.benchmarks.overhead;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pgcluster.benchmarks.overhead.OverheadReport.Alternation;
import io.pgcluster.benchmarks.overhead.OverheadReport.ReadPlaces;
import io.pgcluster.benchmarks.overhead.OverheadReport.Single;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverheadReportTest {

    @Test
    void alternatingIterationsAreSplitByTurnAndPairedWithTheirNeighbours() {
        // 4 warm-up iterations: measurement iteration 0 is HikariCP's turn, 1 pgcluster's, and so on.
        Alternation a = Alternation.of(1, 1, "abReadWrite", "plain", 4, List.of(1000.0, 900.0, 2000.0, 1900.0));
        assertThat(a.hikari()).containsExactly(1000.0, 2000.0);
        assertThat(a.pgcluster()).containsExactly(900.0, 1900.0);
        // pairs (h 1000, p 900), (p 900, h 2000), (h 2000, p 1900): always pgcluster / HikariCP
        assertThat(a.ratios()).containsExactly(0.9, 0.45, 0.95);
    }

    @Test
    void anOddWarmUpStartsWithPgclustersTurn() {
        Alternation a = Alternation.of(1, 1, "abReadOnly", "plain", 3, List.of(900.0, 1000.0));
        assertThat(a.pgcluster()).containsExactly(900.0);
        assertThat(a.ratios()).containsExactly(0.9);
    }

    @Test
    void rowsPoolTheRoundsAndJudgeTheMedianRatio() {
        List<Alternation> alternations = List.of(
                Alternation.of(1, 1, "abReadWrite", "plain", 4, List.of(1000.0, 990.0, 1000.0, 980.0)),
                Alternation.of(1, 2, "abReadWrite", "plain", 4, List.of(3000.0, 2400.0, 3000.0)));
        List<Single> singles = List.of(new Single(1, "select1ReadWrite", "hikari", 1000, 1100),
                new Single(1, "select1ReadWrite", "pgcluster", 990, 1450),
                new Single(1, "getConnectionClose", "hikari", 5e6, 56),
                new Single(1, "getConnectionClose", "pgcluster", 9e7, 72));
        OverheadReport report = new OverheadReport(singles, alternations, new int[] {1});
        List<OverheadReport.Row> rows = report.rows();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).label()).isEqualTo("getConnection() + close()");
        assertThat(rows.get(0).medianRatio()).isEqualTo(18.0);
        OverheadReport.Row tx = rows.get(1);
        // ratios 0.99, 0.99, 0.98 (round 1) and 0.8, 0.8 (round 2): median 0.98
        assertThat(tx.ratios()).hasSize(5);
        assertThat(tx.medianRatio()).isCloseTo(0.98, within(1e-9));
        assertThat(tx.meetsTarget()).isTrue();
        assertThat(tx.hikari()).as("median of 1000, 1000, 3000, 3000").isEqualTo(2000.0);
        assertThat(report.markdown()).contains("| 1 | SELECT 1, read-write transaction (leader), plain JDBC | 2,000 | "
                + "990 | 0.980 | 0.800 – 0.990 (5) | met | 1,100 / 1,450 |");
    }

    @Test
    void aMissedTargetSaysByHowMuch() {
        List<Alternation> alternations = List.of(
                Alternation.of(4, 1, "abReadOnly", "inTransaction", 2, List.of(1000.0, 900.0)));
        String md = new OverheadReport(List.of(), alternations, new int[] {4}).markdown();
        assertThat(md).contains("inTransaction(READ_ONLY)").contains("MISSED by 0.050").contains("n/a / n/a");
    }

    @Test
    void writeThenReadRowsCompareEachReadYourWritesModeWithHikariAndTakeTheirOwnBytes() {
        List<Alternation> alternations = List.of(
                Alternation.of(1, 1, "abWriteThenRead", "off", 4, List.of(1000.0, 950.0, 1000.0)),
                Alternation.of(1, 1, "abWriteThenRead", "jvm", 4, List.of(1000.0, 500.0, 1000.0)),
                // a SELECT 1 row of the same run must not be pooled with them
                Alternation.of(1, 1, "abReadWrite", "plain", 4, List.of(1000.0, 100.0)));
        List<Single> singles = List.of(new Single(1, "writeThenRead", "hikari", 900, 2000),
                new Single(1, "writeThenRead", "pgcluster-off", 850, 2600),
                new Single(1, "writeThenRead", "pgcluster-jvm", 450, 3900),
                new Single(1, "select1ReadWrite", "hikari", 1000, 1100));
        List<OverheadReport.Row> rows = new OverheadReport(singles, alternations, new int[] {1}).rows();
        assertThat(rows).extracting(OverheadReport.Row::label).containsExactly(
                "SELECT 1, read-write transaction (leader), plain JDBC",
                "UPDATE, commit, then read it in a read-only transaction, readYourWrites=off",
                "UPDATE, commit, then read it in a read-only transaction, readYourWrites=jvm");
        assertThat(rows.get(1).medianRatio()).isCloseTo(0.95, within(1e-9));
        assertThat(rows.get(1).hikariBytes()).isEqualTo(2000);
        assertThat(rows.get(1).pgclusterBytes()).isEqualTo(2600);
        assertThat(rows.get(2).medianRatio()).isCloseTo(0.5, within(1e-9));
        assertThat(rows.get(2).pgclusterBytes()).isEqualTo(3900);
        assertThat(rows.get(2).meetsTarget()).isFalse();
    }

    @Test
    void readPlacesAreSharesOfTheReads() {
        List<ReadPlaces> places = List.of(new ReadPlaces(1, "hikari", 2000, 0, 30, 0, 0, 0),
                new ReadPlaces(1, "pgcluster-jvm", 1000, 250, 0, 100, 650, 250));
        String md = new OverheadReport(List.of(), List.of(), places, new int[] {1}).markdown();
        assertThat(md).contains("| 1 | hikari | 2,000 | 0.0% | 1.5% | 0.0% / 0.0% / 0.0% |")
                .contains("| 1 | pgcluster-jvm | 1,000 | 25.0% | 0.0% | 10.0% / 65.0% / 25.0% |");
    }

    @Test
    void noReadPlacesTableWithoutWriteThenReadResults() {
        assertThat(new OverheadReport(List.of(), List.of(), new int[] {1}).markdown()).doesNotContain("Write then read");
        assertThat(OverheadReport.share(1, 0)).isEqualTo("n/a");
    }
}
