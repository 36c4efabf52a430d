package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.benchmarks.failover.NodeProbes.Sample;
import io.pgcluster.benchmarks.failover.NodeProbes.State;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeProbesTest {
    private static final long MS = 1_000_000L;

    @Test
    void theFloorIsTheLongestStretchWithoutACommitOnAnyNode() {
        List<Sample> s = List.of(
                new Sample("pg1", 100 * MS, State.PRIMARY),
                new Sample("pg1", 105 * MS, State.PRIMARY),
                new Sample("pg1", 110 * MS, State.DOWN),
                new Sample("pg2", 108 * MS, State.REPLICA),
                new Sample("pg2", 700 * MS, State.PRIMARY),
                new Sample("pg2", 705 * MS, State.PRIMARY));
        NodeProbes.Gap g = NodeProbes.longestWriteGap(s, 0, 800 * MS);
        assertThat(g.fromNanos()).isEqualTo(105 * MS);
        assertThat(g.toNanos()).isEqualTo(700 * MS);
        assertThat(g.closed()).isTrue();
        assertThat(g.millis()).isEqualTo(595);
    }

    @Test
    void aGapRunningIntoTheWindowsEndIsOpen() {
        List<Sample> s = List.of(new Sample("pg1", 10 * MS, State.PRIMARY), new Sample("pg1", 20 * MS, State.DOWN));
        NodeProbes.Gap g = NodeProbes.longestWriteGap(s, 0, 500 * MS);
        assertThat(g.fromNanos()).isEqualTo(10 * MS);
        assertThat(g.toNanos()).isEqualTo(500 * MS);
        assertThat(g.closed()).isFalse();
    }

    @Test
    void noCommitAtAllIsTheWholeWindow() {
        NodeProbes.Gap g = NodeProbes.longestWriteGap(List.of(new Sample("pg1", 10 * MS, State.DOWN)), 0, 50 * MS);
        assertThat(g.millis()).isEqualTo(50);
        assertThat(g.closed()).isFalse();
    }

    @Test
    void aReplicaIsHealthyWhileItsLastProbeIsRecentAndSaysReplica() {
        List<Sample> s = List.of(
                new Sample("pg1", 0, State.PRIMARY),
                new Sample("pg3", 100 * MS, State.REPLICA),
                new Sample("pg3", 400 * MS, State.DOWN));
        assertThat(NodeProbes.replicaHealthyAt(s, 150 * MS)).isTrue();
        assertThat(NodeProbes.replicaHealthyAt(s, 100 * MS + NodeProbes.HEALTHY_WITHIN_NANOS + 1)).isFalse();
        assertThat(NodeProbes.replicaHealthyAt(s, 450 * MS)).as("its last probe said down").isFalse();
        assertThat(NodeProbes.replicaHealthyAt(s, 50 * MS)).as("nothing known about pg3 yet").isFalse();
    }
}
