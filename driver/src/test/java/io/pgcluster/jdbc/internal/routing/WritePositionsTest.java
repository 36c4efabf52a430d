package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // scopes are used for their close()
class WritePositionsTest {
    private static final Member PG1 = leader("pg1");
    private static final Member PG2 = leader("pg2");

    private static Member leader(String name) {
        return new Member(name, "127.0.0.1", 5432, Role.PRIMARY, "running", 1, 0, 0, Map.of(), null);
    }

    private static WritePositions positions(String mode) {
        return new WritePositions(PgClusterConfig.builder().etcd("127.0.0.1:2379").scope("demo").database("app")
                .user("app").set("readYourWrites", mode).build());
    }

    @Test
    void parsesAndFormatsPostgresTextForm() {
        assertThat(WritePositions.parse("0/3000148")).isEqualTo(0x3000148L);
        assertThat(WritePositions.parse("16/B374D848")).isEqualTo(0x16_B374_D848L);
        assertThat(WritePositions.parse("ffffffff/ffffffff")).isEqualTo(-1L);
        assertThat(WritePositions.format(0x3000148L)).isEqualTo("0/3000148");
        assertThat(WritePositions.format(0x16_B374_D848L)).isEqualTo("16/B374D848");
        assertThat(WritePositions.format(WritePositions.parse("A/0"))).isEqualTo("A/0");
    }

    @Test
    void malformedPositionsNameTheValueAndTheForm() {
        for (String bad : new String[] {"", "3000148", "/1", "1/", "0/-1", "0/xyz", "123456789/0", "0/123456789",
                "0/1/2", " 0/1"}) {
            assertThatThrownBy(() -> WritePositions.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'").hasMessageContaining("0/3000148");
        }
        assertThatThrownBy(() -> WritePositions.parse(null)).hasMessageContaining("'null'");
    }

    @Test
    void keepsTheHighestPositionOfTheCurrentLeader() {
        WritePositions p = positions("jvm");
        assertThat(p.required(PG1)).isEqualTo(WritePositions.NONE);
        p.leaderIs(PG1);
        p.advance("pg1", 200);
        p.advance("pg1", 100);
        assertThat(p.written()).isEqualTo(200);
        assertThat(p.required(PG1)).isEqualTo(200);
        p.advance("pg1", 300);
        assertThat(p.required(PG1)).isEqualTo(300);
    }

    @Test
    void aLeaderChangeDropsTheFormerLeadersPositions() {
        WritePositions p = positions("jvm");
        p.leaderIs(PG1);
        p.advance("pg1", 500);
        p.leaderIs(PG2);
        assertThat(p.written()).isEqualTo(WritePositions.NONE);
        assertThat(p.required(PG2)).isEqualTo(WritePositions.NONE);
        // a commit on pg1 that finished after the change is not taken for the new leader's history
        p.advance("pg1", 900);
        assertThat(p.required(PG2)).isEqualTo(WritePositions.NONE);
        p.advance("pg2", 40);
        assertThat(p.required(PG2)).isEqualTo(40);
        // back to pg1 (it was rewound in between): nothing of its former term counts
        p.leaderIs(PG1);
        assertThat(p.required(PG1)).isEqualTo(WritePositions.NONE);
    }

    @Test
    void withoutALeaderNothingIsRequired() {
        WritePositions p = positions("jvm");
        p.leaderIs(PG1);
        p.advance("pg1", 500);
        try (WritePositions.Scope s = p.enter(800)) {
            assertThat(p.required(null)).isEqualTo(WritePositions.NONE);
            assertThat(p.required(PG1)).isEqualTo(800);
        }
    }

    @Test
    void scopesAreThreadLocalAndNest() throws Exception {
        WritePositions p = positions("jvm");
        p.leaderIs(PG1);
        p.advance("pg1", 100);
        try (WritePositions.Scope outer = p.enter(1000)) {
            assertThat(p.required(PG1)).isEqualTo(1000);
            try (WritePositions.Scope inner = p.enter(2000)) {
                assertThat(p.required(PG1)).isEqualTo(2000);
                AtomicLong other = new AtomicLong(-1);
                Thread t = new Thread(() -> other.set(p.required(PG1)));
                t.start();
                t.join();
                assertThat(other).as("another thread").hasValue(100);
                inner.close();
                inner.close(); // idempotent: does not pop the outer scope
                assertThat(p.required(PG1)).isEqualTo(1000);
            }
            assertThat(p.required(PG1)).isEqualTo(1000);
            // the JVM's own position wins when it is higher
            p.advance("pg1", 5000);
            assertThat(p.required(PG1)).isEqualTo(5000);
        }
        assertThat(p.required(PG1)).isEqualTo(5000);
    }

    @Test
    void offLearnsNothingButHonoursExplicitScopes() {
        WritePositions p = positions("off");
        assertThat(p.enabled()).isFalse();
        assertThat(p.mayWrite("INSERT INTO t VALUES (1)")).isFalse();
        p.leaderIs(PG1);
        try (WritePositions.Scope s = p.enter(77)) {
            assertThat(p.required(PG1)).isEqualTo(77);
        }
    }

    @Test
    void onlyTextsThatMayWriteAreWorthAPosition() {
        WritePositions p = positions("jvm");
        assertThat(p.mayWrite("SELECT 1")).isFalse();
        assertThat(p.mayWrite("INSERT INTO t VALUES (1)")).isTrue();
        assertThat(p.mayWrite("SELECT nextval('s')")).isTrue();
        assertThat(p.mayWrite(null)).as("unknown text").isTrue();
    }
}
