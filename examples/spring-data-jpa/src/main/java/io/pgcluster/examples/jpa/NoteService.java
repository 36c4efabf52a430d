package io.pgcluster.examples.jpa;

import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** What the controller needs beyond single repository calls, with the transactions a developer would declare. */
@Service
public class NoteService {
    private final NoteRepository notes;

    public NoteService(NoteRepository notes) {
        this.notes = notes;
    }

    /**
     * Writes a note: a read-write transaction, so on the leader.
     *
     * @param owner who writes it
     * @param text what it says
     * @return the saved note, with its id
     */
    @Transactional
    public Note create(String owner, String text) {
        return notes.save(new Note(owner, text));
    }

    /**
     * An owner's count and newest note in one read-only transaction, so on a replica.
     *
     * @param owner whose notes
     * @return {@code count} and {@code latest} (the newest note's text, or empty)
     */
    @Transactional(readOnly = true)
    public Map<String, Object> summary(String owner) {
        List<Note> newest = notes.findTop20ByOwnerOrderByIdDesc(owner);
        return Map.of("owner", owner, "count", notes.countByOwner(owner),
                "latest", newest.isEmpty() ? "" : newest.get(0).getText());
    }
}
