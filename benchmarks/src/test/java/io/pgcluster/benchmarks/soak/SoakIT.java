package io.pgcluster.benchmarks.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short chaos soak of the build: about two and a half minutes of load through pgcluster on a real 3-node cluster
 * with {@code synchronous_mode}, a fault every 10-20 s drawn from a random seed (printed, and settable with
 * {@code -Dpgcluster.soak.seed=N} to replay a run), and every invariant of docs/reliability.md checked at the end.
 * The whole class, rig start included, stays under 5 minutes.
 */
class SoakIT {

    /** The fault kinds of the build's soak (see docs/reliability.md for those left out and why). */
    static final Set<FaultKind> CI_FAULTS = EnumSet.allOf(FaultKind.class);

    @Test
    @Timeout(value = 7, unit = TimeUnit.MINUTES)
    void noInvariantBreaksUnderRandomFaults() throws Exception {
        long seed = Long.getLong("pgcluster.soak.seed", ThreadLocalRandom.current().nextLong(1, 1_000_000_000L));
        Duration duration = Duration.ofSeconds(Long.getLong("pgcluster.soak.seconds", 150));
        SoakOptions o = SoakOptions.defaults()
                .schedule(duration, Duration.ofSeconds(10), Duration.ofSeconds(20), CI_FAULTS, seed)
                .timing(Duration.ofMillis(20), Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(5),
                        Duration.ofSeconds(2), Duration.ofSeconds(5))
                .out(Path.of("target", "soak-it"));
        String command = "mvn -B -pl benchmarks -am verify -Dit.test=SoakIT -Dtest=none "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dpgcluster.soak.seed=" + seed
                + " -Dpgcluster.soak.seconds=" + duration.toSeconds();
        Soak.Result r = new Soak(o, command).run();
        System.out.println(r.report());
        assertThat(r.violations()).as("invariant violations (seed %d; report %s); run it again with: %s", seed,
                r.reportFile(), command).isEmpty();
    }
}
