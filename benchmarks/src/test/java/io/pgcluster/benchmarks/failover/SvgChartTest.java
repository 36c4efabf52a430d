package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SvgChartTest {

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void drawsOnePanelPerApproachAsWellFormedSvg() throws Exception {
        int[] ok = {2, 2, 0, 0, 3};
        int[] failed = {0, 0, 1, 0, 0};
        String svg = SvgChart.render("Writes <around> a switchover", List.of(
                new SvgChart.Panel("pgcluster & co", ok, failed, 150, 100, 350, 400),
                new SvgChart.Panel("HAProxy", ok, new int[5], -1, 0, 0, 400)), 100, -100, -100, 400);
        Document d = parse(svg);
        assertThat(d.getDocumentElement().getTagName()).isEqualTo("svg");
        assertThat(d.getElementsByTagName("polyline").getLength()).isEqualTo(2);
        assertThat(svg).contains("Writes &lt;around&gt; a switchover").contains("pgcluster &amp; co");
        // one red bar: the failed write, at 10 failed writes/s on a 50 writes/s scale (30 writes/s is the peak)
        NodeList rects = d.getElementsByTagName("rect");
        long red = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            if ("#d62728".equals(((Element) rects.item(i)).getAttribute("fill"))) {
                red++;
            }
        }
        assertThat(red).as("the legend's swatch and the one bar").isEqualTo(2);
    }

    @Test
    void theSuccessLineStepsThroughEveryBucketShown() throws Exception {
        String svg = SvgChart.render("t", List.of(new SvgChart.Panel("p", new int[] {1, 2, 3, 4}, new int[4], -1, 0,
                0, 400)), 100, 0, 100, 300);
        Element line = (Element) parse(svg).getElementsByTagName("polyline").item(0);
        assertThat(line.getAttribute("points").split(" ")).as("two points per bucket shown (buckets 1 and 2)")
                .hasSize(4);
    }

    @Test
    void theSeriesStopWhereTheMeasurementEnded() throws Exception {
        String svg = SvgChart.render("t", List.of(new SvgChart.Panel("p", new int[] {1, 2, 3, 4}, new int[] {0, 0, 0,
                5}, -1, 0, 0, 200)), 100, 0, 0, 400);
        Element line = (Element) parse(svg).getElementsByTagName("polyline").item(0);
        assertThat(line.getAttribute("points").split(" ")).as("buckets 0 and 1 only").hasSize(4);
        assertThat(svg).contains("end of measurement").doesNotContain("fill=\"#d62728\"/>\n<polyline");
    }

    @Test
    void niceCeilingRoundsUpTo125() {
        assertThat(SvgChart.niceCeiling(1)).isEqualTo(1);
        assertThat(SvgChart.niceCeiling(130)).isEqualTo(200);
        assertThat(SvgChart.niceCeiling(380)).isEqualTo(500);
        assertThat(SvgChart.niceCeiling(501)).isEqualTo(1000);
    }

    @Test
    void refusesAnEmptyChart() {
        assertThatThrownBy(() -> SvgChart.render("t", List.of(), 100, 0, 0, 100))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
