package io.pgcluster.jdbc.internal.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the JSON documents Patroni writes (member keys, {@code GET /cluster}) with jackson-core's streaming parser,
 * which the driver shades and relocates, so that applications get no JSON library from it.
 *
 * <p>Objects become {@code Map<String, Object>} (insertion-ordered, a repeated key's last value wins), arrays
 * {@code List<Object>}, numbers {@code Long} when integral and in range, else {@code Double}; strings, booleans and
 * {@code null} as such. Strict JSON only. Malformed input raises {@link IllegalArgumentException} with the offset and
 * what was wrong, never the text itself (a member's record may hold a password).
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
final class Json {
    /** Patroni's documents nest three levels deep; far deeper input is garbage, refused before it costs stack. */
    private static final int MAX_DEPTH = 64;
    /** Keys come from outside: canonicalised for speed, never interned into the JVM's string pool. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    /** Jackson's "Unrecognized token 'xyz'": the token is input. */
    private static final Pattern QUOTED_TOKEN = Pattern.compile("^(Unrecognized token|Non-standard token) '[^']*'");
    /** Jackson's "('}' (code 125))": one character, shown as the old reader did. */
    private static final Pattern QUOTED_CHAR = Pattern.compile("\\('(.)' \\(code \\d+\\)\\)");

    private Json() {
    }

    static Object parse(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            Object v = value(p, p.nextToken(), 0);
            JsonToken after;
            try {
                after = p.nextToken();
            } catch (StreamReadException e) {
                after = JsonToken.NOT_AVAILABLE;
            }
            if (after != null) {
                throw error(p, "unexpected text after the value");
            }
            return v;
        } catch (StreamReadException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            throw new IllegalArgumentException("malformed JSON at offset " + (at < 0 ? text.length() : at) + ": "
                    + what(e));
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable JSON: " + e.getClass().getSimpleName());
        }
    }

    /** Parses a JSON object; anything else is an error. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        return (Map<String, Object>) v;
    }

    private static Object value(JsonParser p, JsonToken t, int depth) throws IOException {
        if (t == null) {
            throw error(p, "unexpected end");
        }
        switch (t) {
            case START_OBJECT: {
                checkDepth(p, depth);
                Map<String, Object> m = new LinkedHashMap<>();
                for (String k = p.nextFieldName(); k != null; k = p.nextFieldName()) {
                    m.put(k, value(p, p.nextToken(), depth + 1));
                }
                return m;
            }
            case START_ARRAY: {
                checkDepth(p, depth);
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e, depth + 1));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    return p.getDoubleValue(); // beyond a long
                }
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw error(p, "unexpected " + t); // END_ARRAY or END_OBJECT out of place cannot reach here
        }
    }

    private static void checkDepth(JsonParser p, int depth) {
        if (depth >= MAX_DEPTH) {
            throw error(p, "nested too deeply");
        }
    }

    private static IllegalArgumentException error(JsonParser p, String what) {
        long at = p.currentTokenLocation().getCharOffset();
        return new IllegalArgumentException("malformed JSON at offset "
                + (at < 0 ? p.currentLocation().getCharOffset() : at) + ": " + what);
    }

    /**
     * What the parser refused, without the input: Jackson's messages may quote the offending token, which may be
     * part of a password, so a token is left out and a character shown alone, as in "unexpected character '}': expected
     * a value".
     */
    private static String what(StreamReadException e) {
        if (e instanceof JsonEOFException) {
            return ((JsonEOFException) e).getTokenBeingDecoded() == JsonToken.VALUE_STRING ? "unterminated string"
                    : "unexpected end";
        }
        String m = String.valueOf(e.getOriginalMessage());
        int end = m.indexOf('\n');
        m = end < 0 ? m : m.substring(0, end);
        m = QUOTED_TOKEN.matcher(m).replaceFirst("$1");
        m = QUOTED_CHAR.matcher(m).replaceAll("'$1'");
        m = m.length() > 200 ? m.substring(0, 200) + "..." : m;
        return m.isEmpty() ? m : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
