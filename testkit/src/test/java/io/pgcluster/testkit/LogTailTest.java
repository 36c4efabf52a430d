package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTailTest {
    @TempDir
    Path dir;

    @Test
    void returnsTheLastLinesOfALargeFile() throws IOException {
        Path f = dir.resolve("big.log");
        Files.writeString(f, IntStream.rangeClosed(1, 200_000).mapToObj(i -> "line " + i + " " + "x".repeat(i % 700))
                .collect(Collectors.joining("\n", "", "\n")));
        assertThat(LogTail.tail(f, 3)).containsExactly("line 199998 " + "x".repeat(199998 % 700),
                "line 199999 " + "x".repeat(199999 % 700), "line 200000 " + "x".repeat(200000 % 700));
    }

    @Test
    void returnsAllLinesOfASmallFile() throws IOException {
        Path f = dir.resolve("small.log");
        Files.writeString(f, "a\nb\nc");
        assertThat(LogTail.tail(f, 10)).containsExactly("a", "b", "c");
        assertThat(LogTail.tail(f, 2)).containsExactly("b", "c");
    }

    @Test
    void missingFileIsEmpty() {
        assertThat(LogTail.tail(dir.resolve("none.log"), 5)).isEmpty();
    }
}
