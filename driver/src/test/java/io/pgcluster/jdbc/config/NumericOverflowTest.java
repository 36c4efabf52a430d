package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Defect 8 of issue 10 (numbers): a value too large for its type, negative, in non-ASCII digits or padded fails with
 * a {@link PgClusterConfigException} naming key, value and range, never an {@link ArithmeticException}, never a
 * silently wrapped number.
 */
class NumericOverflowTest {

    private static PgClusterConfigException failure(PgClusterProperty p, String value) {
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class, () -> p.parse(value),
                p.key() + "=" + value);
        assertThat(e.property()).isEqualTo(p);
        assertThat(e.key()).isEqualTo(p.key());
        assertThat(e).hasMessageContaining("'" + p.key() + "'").hasMessageContaining("'" + value + "'");
        return e;
    }

    @Test
    void aSizeThatOverflowsALongIsAnErrorNotZero() {
        assertThat(failure(PgClusterProperty.MAX_REPLICA_LAG, "16777216TB")).hasMessageContaining("too large")
                .hasMessageContaining(Long.toString(Long.MAX_VALUE));
        failure(PgClusterProperty.MAX_REPLICA_LAG, "9223372036854775808");
        failure(PgClusterProperty.MAX_REPLICA_LAG, "99999999999999999999999999B");
        failure(PgClusterProperty.MAX_REPLICA_LAG, "8796093022208MB");
        assertThat(PgClusterProperty.MAX_REPLICA_LAG.parse("8388607TB")).isEqualTo(8388607L << 40);
        assertThat(PgClusterProperty.MAX_REPLICA_LAG.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(PgClusterProperty.MAX_REPLICA_LAG.parse("000000000000000000000016MB")).isEqualTo(16L << 20);
    }

    @Test
    void aHugeIsoDurationIsAnErrorNamingKeyValueAndRange() {
        for (String huge : new String[] {"PT9999999999999999H", "PT2562047788015216H", "P106751991167301D",
                "PT9223372036854775807S", "P9999999999999D"}) {
            assertThat(failure(PgClusterProperty.FAILOVER_TIMEOUT, huge)).hasMessageContaining("0 to 1h");
        }
    }

    @Test
    void aHugeNumberOfAnyUnitIsAnErrorNamingKeyValueAndRange() {
        for (String huge : new String[] {"99999999999999999999ms", "999999999999999d", "9999999999999999h",
                "99999999999999999m", "999999999999999999999999999", "106751991167301d"}) {
            assertThat(failure(PgClusterProperty.IDLE_TIMEOUT, huge)).hasMessageContaining("0 to 1d");
        }
        assertThat(PgClusterProperty.IDLE_TIMEOUT.parse("0000000000000000000001d")).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void integersOverflowWithTheRange() {
        assertThat(failure(PgClusterProperty.WRITE_POOL_SIZE, "2147483648")).hasMessageContaining("1 to 10000");
        assertThat(failure(PgClusterProperty.WRITE_POOL_SIZE, "99999999999999999999999"))
                .hasMessageContaining("1 to 10000");
        failure(PgClusterProperty.WRITE_POOL_SIZE, "-2147483649");
        failure(PgClusterProperty.WRITE_POOL_SIZE, "-1");
        assertThat(PgClusterProperty.MIN_IDLE.parse("-0")).isEqualTo(0);
        assertThat(PgClusterProperty.WRITE_POOL_SIZE.parse("+5")).isEqualTo(5);
    }

    @Test
    void negativeValuesAreRefused() {
        failure(PgClusterProperty.FAILOVER_TIMEOUT, "-1s");
        failure(PgClusterProperty.FAILOVER_TIMEOUT, "-0");
        failure(PgClusterProperty.FAILOVER_TIMEOUT, "PT-1S");
        failure(PgClusterProperty.MAX_REPLICA_LAG, "-1MB");
        failure(PgClusterProperty.MAX_REPLICA_LAG, "-0");
    }

    @Test
    void onlyAsciiDigitsCount() {
        // Arabic-Indic, Devanagari and fullwidth digits: Character.isDigit and Integer.parseInt take them
        for (String digits : new String[] {"\u0661", "\u0967", "\uFF15"}) {
            failure(PgClusterProperty.FAILOVER_TIMEOUT, digits + "s");
            failure(PgClusterProperty.MAX_REPLICA_LAG, digits + "MB");
            failure(PgClusterProperty.WRITE_POOL_SIZE, digits);
        }
    }

    @Test
    void whitespace() {
        assertThat(PgClusterProperty.FAILOVER_TIMEOUT.parse(" 30s\t")).isEqualTo(Duration.ofSeconds(30));
        assertThat(PgClusterProperty.FAILOVER_TIMEOUT.parse("2 min")).isEqualTo(Duration.ofMinutes(2));
        assertThat(PgClusterProperty.WRITE_POOL_SIZE.parse(" 5 ")).isEqualTo(5);
        failure(PgClusterProperty.WRITE_POOL_SIZE, "5 0");
        failure(PgClusterProperty.WRITE_POOL_SIZE, "\u00A05"); // a no-break space is no whitespace to trim
        failure(PgClusterProperty.FAILOVER_TIMEOUT, "3 0s");
        failure(PgClusterProperty.MAX_REPLICA_LAG, "1 6MB");
    }
}
