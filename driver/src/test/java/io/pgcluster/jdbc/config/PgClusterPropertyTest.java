package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postgresql.PGProperty;

class PgClusterPropertyTest {

    @Test
    void keysAreUniqueDescribedAndDoNotShadowPgjdbcUnintentionally() {
        Set<String> keys = new HashSet<>();
        for (PgClusterProperty p : PgClusterProperty.values()) {
            assertThat(keys.add(p.key().toLowerCase())).as("duplicate key %s", p.key()).isTrue();
            assertThat(p.description()).as(p.key()).isNotBlank().endsWith(".");
            assertThat(PgClusterProperty.forKey(p.key())).isSameAs(p);
            if (p.type() == PgClusterProperty.Type.CHOICE) {
                assertThat(p.choices()).as(p.key()).isNotEmpty();
            }
            if (p.defaultValue() != null) {
                p.parse(p.defaultValue()); // every default is valid
            }
            if (PGProperty.forName(p.key()) != null) {
                assertThat(p.key()).as("shares its key with pgjdbc").isIn("user", "password");
            }
        }
    }

    @Test
    void aNumberSettingNamesWhatItExpectsWhenTheTextIsNotOneOfItsKind() {
        assertThatThrownBy(() -> PgClusterProperty.WRITE_POOL_SIZE.parse("abc"))
                .hasMessageEndingWith("'writePoolSize': expected a whole number (1 to 10000).");
        assertThatThrownBy(() -> PgClusterProperty.FAILOVER_TIMEOUT.parse("-5"))
                .hasMessageEndingWith("'failoverTimeout': expected a duration such as 500ms, 30s, 2m or PT30S (a bare "
                        + "number is milliseconds) (0 to 1h).");
        assertThatThrownBy(() -> PgClusterProperty.MAX_REPLICA_LAG.parse("1.5MB"))
                .hasMessageEndingWith("'maxReplicaLag': expected a size such as 1048576, 512kB, 16MB or 1GB (at least 0 "
                        + "bytes).");
        assertThatThrownBy(() -> PgClusterProperty.WRITE_POOL_SIZE.parse("0"))
                .hasMessageEndingWith("'writePoolSize': expected 1 to 10000.");
    }

    @Test
    void durations() {
        assertThat(Units.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Units.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Units.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Units.parseDuration("2 min")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Units.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Units.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Units.parseDuration("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Units.parseDuration("250")).isEqualTo(Duration.ofMillis(250));
        assertThat(Units.parseDuration("-1s")).isNull();
        assertThat(Units.parseDuration("PT-1S")).isNull();
        assertThat(Units.parseDuration("1y")).isNull();
        assertThat(Units.parseDuration("")).isNull();
        assertThat(Units.formatDuration(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Units.formatDuration(Duration.ofMinutes(10))).isEqualTo("10m");
    }

    @Test
    void sizes() {
        assertThat(Units.parseBytes("1048576")).isEqualTo(1048576L);
        assertThat(Units.parseBytes("16MB")).isEqualTo(16L << 20);
        assertThat(Units.parseBytes("512kB")).isEqualTo(512L << 10);
        assertThat(Units.parseBytes("1 GB")).isEqualTo(1L << 30);
        assertThat(Units.parseBytes("1.5MB")).isNull();
        assertThat(Units.formatBytes(16L << 20)).isEqualTo("16MB");
        assertThat(Units.formatBytes(1000)).isEqualTo("1000");
    }

    @Test
    void suggestionDistanceIgnoresCase() {
        assertThat(Suggestions.distance("Scope", "scope")).isZero();
        assertThat(Suggestions.distance("scpoe", "scope")).isEqualTo(2);
        assertThat(Suggestions.nearest("loadbalanse")).isEqualTo("loadBalance");
        assertThat(Suggestions.nearest("")).isNull();
    }
}
