package io.pgcluster.jdbc.internal.routing;

import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Topology;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per topology snapshot, whether the leader's pool drains for an announced switchover.
 *
 * <p>Patroni writes its {@code failover} key (leader = the old primary, member = the candidate) before the old
 * primary checkpoints and stops PostgreSQL with a fast shutdown, which ends every session, open transactions
 * included. A write that starts on the old primary in that window fails with an unknown outcome; one that waits for
 * the new leader does not fail at all. So while a switchover away from the current leader is pending, new writes
 * are held off the leader's pool ({@link MemberPool#isDraining}) until the new leader appears, Patroni withdraws the
 * key (it refused the switchover), or {@code switchoverDrain} has passed since the drain began; a scheduled
 * switchover drains from its {@code scheduled_at}.
 *
 * <p>Thread-safety: {@link #apply} runs on the topology thread only; {@link #held} from any thread.
 */
final class SwitchoverDrain {
    private static final Logger log = LoggerFactory.getLogger(SwitchoverDrain.class);

    private final String cluster;
    private final long graceNanos;
    private final LongSupplier nanoClock;
    private final LongSupplier wallMillis;
    /** Writes that found the leader draining and waited, since the data source started. */
    private final AtomicLong held = new AtomicLong();
    /** The pool drained now (or from a scheduled time), or {@code null}; topology thread only. */
    private MemberPool drained;
    private Topology.Switchover switchover;
    private long heldAtStart;
    private long startNanos;
    private long untilNanos;

    SwitchoverDrain(String cluster, long graceNanos, LongSupplier nanoClock, LongSupplier wallMillis) {
        this.cluster = cluster;
        this.graceNanos = graceNanos;
        this.nanoClock = nanoClock;
        this.wallMillis = wallMillis;
    }

    /** Whether draining is switched on ({@code switchoverDrain} above 0). */
    boolean enabled() {
        return graceNanos > 0;
    }

    /** A write found the leader draining and waits for the new leader. */
    void held() {
        held.incrementAndGet();
    }

    /**
     * A write found {@code leader} not draining at {@code nowNanos}: if that is because its drain ran out while the
     * switchover is still pending, say so once (writes go to the old leader again).
     */
    void ranOutCheck(MemberPool leader, long nowNanos) {
        MemberPool.Drain d = leader.drain();
        if (d != null && nowNanos - d.until() >= 0 && d.ranOut().compareAndSet(false, true)) {
            log.info("pgcluster {}: drain ended: the switchover from {} to {} has not happened within switchoverDrain "
                    + "({} ms); writes go to {} again", cluster, leader.member().name(),
                    d.to() == null ? "a replica of Patroni's choice" : d.to(), graceNanos / 1_000_000L,
                    leader.member().name());
        }
    }

    /** Writes held by drains so far. */
    long heldCount() {
        return held.get();
    }

    /**
     * Starts, keeps or ends the drain for snapshot {@code current} whose leader's pool is {@code leaderPool}
     * ({@code null} while there is none). A drain already begun for the same switchover is kept as it is: a later
     * snapshot never extends it.
     */
    void apply(Topology current, MemberPool leaderPool) {
        Topology.Switchover s = graceNanos > 0 ? current.pendingSwitchover() : null;
        Member leader = current.leader();
        boolean away = s != null && leader != null && leaderPool != null
                && (blank(s.from()) || s.from().equals(leader.name()))
                && !leader.name().equals(s.to());
        if (away && leaderPool == drained && s.equals(switchover)) {
            return;
        }
        if (drained != null && leader == null && s != null) {
            // the old leader gave up the leader key (its pool is retired): writes wait for the new leader as the
            // drain had them do; the drain is over when one appears
            drained.drain(null);
            return;
        }
        if (drained != null) {
            end(leader);
        }
        if (!away) {
            return;
        }
        long now = nanoClock.getAsLong();
        long from = now;
        if (!blank(s.scheduledAt())) {
            Long at = epochMillis(s.scheduledAt());
            if (at == null) {
                return; // Patroni refuses a scheduled_at it cannot read and removes the key
            }
            long ahead = at - wallMillis.getAsLong();
            if (ahead > 0) {
                from = now + ahead * 1_000_000L;
            }
        }
        drained = leaderPool;
        switchover = s;
        heldAtStart = held.get();
        startNanos = from;
        untilNanos = from + graceNanos;
        leaderPool.drain(new MemberPool.Drain(from, from + graceNanos, s.to()));
        if (from == now) {
            log.info("pgcluster {}: switchover from {} to {} announced: new writes wait for the new leader "
                    + "(switchoverDrain {} ms)", cluster, leader.name(), target(s), graceNanos / 1_000_000L);
        } else {
            log.info("pgcluster {}: switchover from {} to {} scheduled at {}: new writes will wait for the new "
                    + "leader from then (switchoverDrain {} ms)", cluster, leader.name(), target(s),
                    s.scheduledAt(), graceNanos / 1_000_000L);
        }
    }

    private void end(Member leader) {
        MemberPool old = drained;
        old.drain(null);
        drained = null;
        long count = held.get() - heldAtStart;
        String oldName = old.member().name();
        long now = nanoClock.getAsLong();
        if (leader != null && !leader.name().equals(oldName)) {
            log.info("pgcluster {}: drain ended: new leader {} (was {}) {} ms after the drain began; {} writes were "
                    + "held", cluster, leader.name(), oldName, Math.max(0, now - startNanos) / 1_000_000L, count);
        } else if (leader == null) {
            log.info("pgcluster {}: drain ended: no leader and no switchover pending any more (was {}); writes wait "
                    + "for a leader; {} writes were held", cluster, oldName, count);
        } else if (now - untilNanos >= 0) {
            log.info("pgcluster {}: the switchover from {} to {}, for which writes were drained until switchoverDrain "
                    + "({} ms) ran out, is no longer pending; {} writes were held", cluster, oldName,
                    target(switchover), graceNanos / 1_000_000L, count);
        } else {
            log.info("pgcluster {}: drain ended: the switchover from {} to {} was withdrawn; writes go to {} again; "
                    + "{} writes were held", cluster, oldName, target(switchover), oldName, count);
        }
        switchover = null;
    }

    private static String target(Topology.Switchover s) {
        return blank(s.to()) ? "a replica of Patroni's choice" : s.to();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Patroni writes {@code scheduled_at} with Python's {@code isoformat()}: an offset, optional fractions. */
    static Long epochMillis(String isoTime) {
        try {
            return OffsetDateTime.parse(isoTime.trim().replace(' ', 'T')).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
