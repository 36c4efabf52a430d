package io.pgcluster.examples.jpa;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /notes} (a form: owner, text) answers 303 See Other to {@code GET /notes/{id}}, the post/redirect/get
 * flow of any web form; {@code GET /notes?owner=} lists an owner's notes; {@code GET /notes/summary?owner=}.
 */
@RestController
public class NoteController {
    private final NoteRepository notes;
    private final NoteService service;

    public NoteController(NoteRepository notes, NoteService service) {
        this.notes = notes;
        this.service = service;
    }

    @PostMapping(path = "/notes", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    public ResponseEntity<Void> create(@RequestParam("owner") String owner, @RequestParam("text") String text) {
        Note note = service.create(owner, text);
        return ResponseEntity.status(HttpStatus.SEE_OTHER).location(URI.create("/notes/" + note.getId())).build();
    }

    /** Inherited {@code findById}: a read-only transaction. */
    @GetMapping("/notes/{id}")
    public ResponseEntity<Map<String, Object>> show(@PathVariable("id") long id) {
        return notes.findById(id).map(n -> ResponseEntity.ok(json(n))).orElse(ResponseEntity.notFound().build());
    }

    /** A declared finder called with no transaction around it. */
    @GetMapping("/notes")
    public List<Map<String, Object>> list(@RequestParam("owner") String owner) {
        return notes.findTop20ByOwnerOrderByIdDesc(owner).stream().map(NoteController::json).toList();
    }

    @GetMapping("/notes/summary")
    public Map<String, Object> summary(@RequestParam("owner") String owner) {
        return service.summary(owner);
    }

    private static Map<String, Object> json(Note n) {
        return Map.of("id", n.getId(), "owner", n.getOwner(), "text", n.getText(), "created", n.getCreated().toString());
    }
}
