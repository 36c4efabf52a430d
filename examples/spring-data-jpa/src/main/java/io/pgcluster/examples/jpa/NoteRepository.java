package io.pgcluster.examples.jpa;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;

/**
 * Notes. The declared finders carry no {@code @Transactional}, as in most applications: Spring Data then applies no
 * transaction to them (its documented default), so they run as auto-commit statements with the read-only flag unset.
 * Inherited methods such as {@code findById} run in the read-only transaction {@code SimpleJpaRepository} declares.
 */
public interface NoteRepository extends JpaRepository<Note, Long> {

    /**
     * The newest notes of an owner.
     *
     * @param owner whose notes
     * @return at most 20, newest first
     */
    List<Note> findTop20ByOwnerOrderByIdDesc(String owner);

    /**
     * How many notes an owner wrote.
     *
     * @param owner whose notes
     * @return the count
     */
    long countByOwner(String owner);
}
