package io.pgcluster.testkit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads the last lines of a (possibly large, possibly growing) log file without reading all of it. */
final class LogTail {
    private LogTail() {}

    static List<String> tail(Path file, int lines) {
        if (lines <= 0 || !Files.isRegularFile(file)) {
            return List.of();
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long size = f.length();
            long window = Math.min(size, Math.max(8192L, lines * 256L));
            while (true) {
                byte[] buf = new byte[(int) window];
                f.seek(size - window);
                f.readFully(buf);
                String text = new String(buf, StandardCharsets.UTF_8);
                List<String> all = new ArrayList<>(Arrays.asList(text.split("\r?\n", -1)));
                if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
                    all.remove(all.size() - 1);
                }
                boolean complete = window == size;
                if (!complete) {
                    all.remove(0); // probably a partial line
                }
                if (all.size() >= lines || complete || window >= 16L * 1024 * 1024) {
                    return all.subList(Math.max(0, all.size() - lines), all.size());
                }
                window = Math.min(size, window * 4);
            }
        } catch (IOException e) {
            return List.of("<cannot read " + file + ": " + e + ">");
        }
    }
}
