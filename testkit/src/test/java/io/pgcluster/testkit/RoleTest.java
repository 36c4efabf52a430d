package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoleTest {
    @Test
    void mapsPatroniRoleNamesLikeTheDriver() {
        for (String primary : new String[] {"master", "primary", "leader", "Leader"}) {
            assertThat(Role.fromPatroni(primary)).isEqualTo(Role.PRIMARY);
        }
        for (String replica : new String[] {"replica", "sync_standby", "quorum_standby", "standby"}) {
            assertThat(Role.fromPatroni(replica)).isEqualTo(Role.REPLICA);
        }
        assertThat(Role.fromPatroni("standby_leader")).isEqualTo(Role.STANDBY_LEADER);
        assertThat(Role.fromPatroni("demoted")).isEqualTo(Role.OTHER);
        assertThat(Role.fromPatroni(null)).isEqualTo(Role.OTHER);
    }

    @Test
    void onlyPrimaryAndStandbyLeaderHoldTheLeaderKey() {
        assertThat(Role.PRIMARY.holdsLeaderKey()).isTrue();
        assertThat(Role.STANDBY_LEADER.holdsLeaderKey()).isTrue();
        assertThat(Role.REPLICA.holdsLeaderKey()).isFalse();
        assertThat(Role.OTHER.holdsLeaderKey()).isFalse();
    }
}
