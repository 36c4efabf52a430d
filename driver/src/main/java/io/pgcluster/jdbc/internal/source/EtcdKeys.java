package io.pgcluster.jdbc.internal.source;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Patroni's keys under one prefix as {@link EtcdSource} last saw them, and the etcd revision they reflect: a read of
 * the prefix replaces them, watch events change them. Kept apart from jetcd so that the revision bookkeeping can be
 * tested without a server.
 *
 * <p>etcd gives every key changed by one transaction the same revision: the expiry of a lease deletes all of its keys
 * in one revision (Patroni puts {@code leader} and {@code members/<self>} on the same lease), and so does a prefix
 * delete. Every event of a revision is therefore applied; only events of revisions already reflected (by a read, or
 * by an earlier watch response delivered again after a reconnect) are skipped.
 *
 * <p>Thread-safety: not thread-safe; confined to the cluster's topology thread.
 */
final class EtcdKeys {

    /**
     * One watch event, relative to the prefix.
     *
     * @param delete whether the key was deleted (else put)
     * @param key the key without the prefix, e.g. {@code members/pg1}
     * @param value the new value of a put, {@code null} for a delete
     * @param modRevision the revision of the change
     */
    record Event(boolean delete, String key, String value, long modRevision) {
        static Event put(String key, String value, long modRevision) {
            return new Event(false, key, value, modRevision);
        }

        static Event delete(String key, long modRevision) {
            return new Event(true, key, null, modRevision);
        }
    }

    private final Map<String, String> keys = new HashMap<>();
    private final Map<String, String> readOnly = Collections.unmodifiableMap(keys);
    private long revision;

    /** The highest revision whose changes are all reflected; 0 before the first read. */
    long revision() {
        return revision;
    }

    /** The keys (relative to the prefix) and their values; a live, unmodifiable view. */
    Map<String, String> keys() {
        return readOnly;
    }

    /** Replaces every key with those of a read of the prefix at {@code readRevision}. */
    void replace(long readRevision, Map<String, String> read) {
        keys.clear();
        keys.putAll(read);
        revision = readRevision;
    }

    /**
     * Applies the events of one watch response (in revision order, as etcd sends them).
     *
     * @return whether a key changed
     */
    boolean apply(List<Event> events) {
        long applied = revision; // not updated inside the loop: the next event may belong to the same revision
        boolean changed = false;
        for (Event e : events) {
            if (e.modRevision() <= applied) {
                continue; // already applied, by a read or an earlier delivery after a reconnect
            }
            if (e.delete()) {
                changed |= keys.remove(e.key()) != null;
            } else {
                changed |= !e.value().equals(keys.put(e.key(), e.value()));
            }
            revision = Math.max(revision, e.modRevision());
        }
        return changed;
    }
}
