package io.pgcluster.examples.jpa;

import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.Repository;

/**
 * A declared finder that says where it ran, for {@link NotesApplicationIT}: declared like the application's finders,
 * without {@code @Transactional}.
 */
interface WhereRepository extends Repository<Note, Long> {

    /**
     * Whether the server that ran the query is in recovery.
     *
     * @return true on a replica, false on the leader
     */
    @Query(value = "SELECT pg_is_in_recovery()", nativeQuery = true)
    boolean inRecovery();
}
