package io.pgcluster.examples.jpa;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small notes service written as any Spring Data JPA application is: an entity, a repository with declared finder
 * methods, a service with {@code @Transactional} methods, a form that creates and redirects. Its only pgcluster parts
 * are the starter dependency and a {@code jdbc:pgcluster:} URL in application.properties.
 */
@SpringBootApplication
public class NotesApplication {

    public static void main(String[] args) {
        SpringApplication.run(NotesApplication.class, args);
    }
}
