package io.pgcluster.jdbc.internal.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the DCS key dumps captured from a real Patroni 3.0.2 cluster (test resources under patroni/). */
final class ReferenceData {
    private ReferenceData() {
    }

    static String text(String resource) {
        try (InputStream in = ReferenceData.class.getResourceAsStream("/patroni/" + resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource patroni/" + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Keys relative to {@code prefix} with their values. Lines starting with '/' name a key (a ZooKeeper dump adds
     * "  [ephemeral=...]"); the lines after it, trimmed, are its value.
     */
    static Map<String, String> dcsKeys(String resource, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        String key = null;
        StringBuilder value = new StringBuilder();
        for (String line : text(resource).split("\n")) {
            if (line.startsWith("/")) {
                put(out, prefix, key, value);
                key = line.split("\\s+\\[")[0].trim();
                value.setLength(0);
            } else if (key != null) {
                value.append(line.trim());
            }
        }
        put(out, prefix, key, value);
        return out;
    }

    private static void put(Map<String, String> out, String prefix, String key, StringBuilder value) {
        if (key != null && key.startsWith(prefix) && key.length() > prefix.length()) {
            out.put(key.substring(prefix.length()), value.toString());
        }
    }

    /** The body of {@code GET /cluster} in rest-1.txt. */
    static String restCluster() {
        String t = text("rest-1.txt");
        int start = t.indexOf("### GET /cluster");
        int body = t.indexOf('\n', start) + 1;
        int end = t.indexOf("###", body);
        return t.substring(body, end).trim();
    }
}
