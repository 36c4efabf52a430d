package io.pgcluster.jdbc.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.internal.source.EtcdKeys.Event;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import io.pgcluster.jdbc.topology.Topology;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The revision bookkeeping of the etcd source, fed with the events etcd sends: every key of an expired lease, and
 * every key of a prefix delete, is deleted in ONE revision.
 */
class EtcdKeysTest {
    private static final long READ_REVISION = 100;
    private final PatroniParser parser = new PatroniParser("demo");

    /** Patroni 3.0.2's keys: leader pg3, replicas pg1 and pg2. */
    private EtcdKeys afterRead() {
        EtcdKeys k = new EtcdKeys();
        k.replace(READ_REVISION, ReferenceData.dcsKeys("dcs-keys-etcd3.txt", "/service/demo/"));
        assertThat(parser.fromDcs(k.keys()).leader().name()).isEqualTo("pg3");
        return k;
    }

    @Test
    void theExpiryOfTheLeadersLeaseDeletesTheLeaderKeyAndItsMemberKey() {
        EtcdKeys k = afterRead();

        // kill -9 of pg3: its lease expires, etcd deletes both keys of the lease at revision 101
        boolean changed = k.apply(List.of(Event.delete("leader", 101), Event.delete("members/pg3", 101)));

        assertThat(changed).isTrue();
        assertThat(k.keys()).doesNotContainKeys("leader", "members/pg3");
        assertThat(k.revision()).isEqualTo(101);
        Topology t = parser.fromDcs(k.keys());
        assertThat(t.leader()).isNull();
        assertThat(t.members()).extracting(Member::name).containsExactlyInAnyOrder("pg1", "pg2");
    }

    @Test
    void afterTheNewLeaderTakesOverOnlyOneMemberIsPrimary() {
        EtcdKeys k = afterRead();
        k.apply(List.of(Event.delete("leader", 101), Event.delete("members/pg3", 101)));
        String pg1 = k.keys().get("members/pg1").replace("\"role\":\"replica\"", "\"role\":\"master\"");

        k.apply(List.of(Event.put("leader", "pg1", 102)));
        k.apply(List.of(Event.put("members/pg1", pg1, 103)));

        Topology t = parser.fromDcs(k.keys());
        assertThat(t.leader().name()).isEqualTo("pg1");
        assertThat(t.members()).filteredOn(m -> m.role() == Role.PRIMARY).extracting(Member::name)
                .containsExactly("pg1");
    }

    @Test
    void aPrefixDeleteRemovesEveryKeyOfTheRevision() {
        EtcdKeys k = afterRead();
        List<Event> removeCluster = k.keys().keySet().stream().sorted().map(key -> Event.delete(key, 101)).toList();

        k.apply(removeCluster);

        assertThat(k.keys()).isEmpty();
        assertThat(parser.fromDcs(k.keys()).leader()).isNull();
    }

    @Test
    void eventsOfRevisionsAlreadyReadAreSkippedAndThoseOfLaterRevisionsApplied() {
        EtcdKeys k = afterRead();

        // delivered again after a reconnect: the read at revision 100 already reflects them
        boolean changed = k.apply(List.of(Event.put("leader", "pg2", 99), Event.delete("members/pg1", 100)));

        assertThat(changed).isFalse();
        assertThat(k.keys()).containsEntry("leader", "pg3").containsKey("members/pg1");
        assertThat(k.revision()).isEqualTo(READ_REVISION);

        // one response with several revisions, the later one with two events
        changed = k.apply(List.of(Event.put("status", "{\"optime\":1}", 101), Event.delete("members/pg1", 102),
                Event.delete("members/pg2", 102)));

        assertThat(changed).isTrue();
        assertThat(k.keys()).containsEntry("status", "{\"optime\":1}").doesNotContainKeys("members/pg1", "members/pg2");
        assertThat(k.revision()).isEqualTo(102);

        // a later response repeating revision 102 changes nothing
        assertThat(k.apply(List.of(Event.put("members/pg2", "{}", 102)))).isFalse();
        assertThat(k.keys()).doesNotContainKey("members/pg2");
    }

    @Test
    void aPutOfTheSameValueIsNoChange() {
        EtcdKeys k = afterRead();
        Map<String, String> before = Map.copyOf(k.keys());

        assertThat(k.apply(List.of(Event.put("leader", "pg3", 101)))).isFalse();
        assertThat(k.keys()).isEqualTo(before);
        assertThat(k.revision()).isEqualTo(101);
    }
}
