package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig.AutoCommitReads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The settings of auto-commit reads on replicas: today's behaviour by default, function names checked at once. */
class AutoCommitReadsSettingsTest {

    private static PgClusterConfig.Builder hosts() {
        return PgClusterConfig.builder().hosts("h1:5432,h2:5432").database("app");
    }

    @Test
    void byDefaultEveryAutoCommitStatementStaysOnTheLeader() {
        PgClusterConfig c = hosts().build();
        assertThat(c.autoCommitReads()).isEqualTo(AutoCommitReads.LEADER);
        assertThat(c.writeFunctions()).isEmpty();
        assertThat(c.describe()).containsEntry("autoCommitReads", "leader").doesNotContainKey("writeFunctions");
    }

    @Test
    void textAndTypedSettersAgree() {
        PgClusterConfig text = hosts().set("autoCommitReads", "REPLICA")
                .set("writeFunctions", " audit_insert , Next_Order$No,audit_insert ").build();
        PgClusterConfig typed = hosts().autoCommitReads(AutoCommitReads.REPLICA)
                .writeFunctions("audit_insert", "Next_Order$No").build();
        assertThat(text.autoCommitReads()).isEqualTo(AutoCommitReads.REPLICA);
        assertThat(text.writeFunctions()).containsExactly("audit_insert", "next_order$no");
        assertThat(typed.autoCommitReads()).isEqualTo(AutoCommitReads.REPLICA);
        assertThat(typed.writeFunctions()).isEqualTo(text.writeFunctions());
        assertThat(typed.describe()).containsEntry("autoCommitReads", "replica")
                .containsEntry("writeFunctions", "audit_insert,Next_Order$No");
    }

    @Test
    void theUrlTakesThemToo() {
        PgClusterConfig c = PgClusterUrl.parse(
                "jdbc:pgcluster:hosts://h1:5432,h2:5432/app?autoCommitReads=replica&writeFunctions=f1,f2",
                new java.util.Properties()).build();
        assertThat(c.autoCommitReads()).isEqualTo(AutoCommitReads.REPLICA);
        assertThat(c.writeFunctions()).containsExactly("f1", "f2");
    }

    @Test
    void aBlankListIsNoList() {
        assertThat(hosts().set("writeFunctions", "  ").build().writeFunctions()).isEmpty();
    }

    @Test
    void anUnknownChoiceNamesTheChoices() {
        assertThatThrownBy(() -> hosts().set("autoCommitReads", "replicas"))
                .isInstanceOf(PgClusterConfigException.class)
                .hasMessageContaining("'autoCommitReads'").hasMessageContaining("leader, replica");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a,,b            | entry '' is empty",
        "a,              | entry '' is empty",
        "public.nextval  | entry 'public.nextval' has a schema",
        "\"MyFunc\"      | entry '\"MyFunc\"' is quoted",
        "f(int)          | entry 'f(int)' has an argument list",
        "1abc            | entry '1abc' does not start with a letter or '_'",
        "$f              | entry '$f' does not start",
        "my-func         | entry 'my-func' is not an identifier",
        "my func         | entry 'my func' is not an identifier",
        "f;DROP          | entry 'f;DROP' is not an identifier",
    })
    void aBadEntryIsNamed(String value, String problem) {
        assertThatThrownBy(() -> hosts().set("writeFunctions", value))
                .isInstanceOf(PgClusterConfigException.class)
                .hasMessageContaining("'writeFunctions'").hasMessageContaining(problem);
        assertThatThrownBy(() -> hosts().writeFunctions(value.split(",", -1)))
                .isInstanceOf(PgClusterConfigException.class).hasMessageContaining(problem);
    }

    @Test
    void aNameLongerThanPostgresKeepsIsRefused() {
        String name = "f".repeat(64);
        assertThatThrownBy(() -> hosts().set("writeFunctions", name))
                .hasMessageContaining("longer than 63 characters");
        assertThat(hosts().set("writeFunctions", "f".repeat(63)).build().writeFunctions()).hasSize(1);
    }

    @Test
    void aNullNameIsRefused() {
        assertThatThrownBy(() -> hosts().writeFunctions("f", null))
                .isInstanceOf(PgClusterConfigException.class).hasMessageContaining("'writeFunctions'");
    }
}
