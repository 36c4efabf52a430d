package io.pgcluster.examples.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A note some owner (a user, a client) wrote. */
@Entity
@Table(name = "notes")
public class Note {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false)
    private String owner;

    @Column(nullable = false)
    private String text;

    @Column(nullable = false)
    private Instant created;

    /** For JPA. */
    protected Note() {}

    /**
     * A new note, created now.
     *
     * @param owner who wrote it
     * @param text what it says
     */
    public Note(String owner, String text) {
        this.owner = owner;
        this.text = text;
        this.created = Instant.now();
    }

    public Long getId() {
        return id;
    }

    public String getOwner() {
        return owner;
    }

    public String getText() {
        return text;
    }

    public Instant getCreated() {
        return created;
    }
}
