package io.pgcluster.testkit;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Patroni's REST bodies as plain Java values, through Jackson: objects become {@code LinkedHashMap<String, Object>},
 * arrays {@code ArrayList}, integers {@code Long} (or {@code BigInteger} when they do not fit), other numbers
 * {@code BigDecimal}. Small integers are widened to {@code Long} (Jackson gives {@code Integer}) so that callers of
 * {@link PatroniCluster#dynamicConfig()} can rely on one type.
 */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final TypeReference<Object> ANY = new TypeReference<>() {};

    private Json() {
    }

    static Object parse(String text) {
        Objects.requireNonNull(text, "text");
        try {
            return widenInts(MAPPER.readValue(text, ANY));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException("Invalid JSON at offset " + (at == null ? -1 : at.getCharOffset())
                    + " (" + e.getOriginalMessage() + "): " + abbreviate(text), e);
        }
    }

    // Jackson's USE_LONG_FOR_INTS would reject integers beyond a long, which are valid JSON.
    @SuppressWarnings("unchecked")
    private static Object widenInts(Object v) {
        if (v instanceof Integer) {
            return ((Integer) v).longValue();
        }
        if (v instanceof Map) {
            ((Map<String, Object>) v).replaceAll((k, x) -> widenInts(x));
        } else if (v instanceof List) {
            ((List<Object>) v).replaceAll(Json::widenInts);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("Expected a JSON object but got: " + abbreviate(text));
        }
        return (Map<String, Object>) v;
    }

    /** Serializes maps, iterables, strings, numbers, booleans, enums and null. */
    static String write(Object v) {
        try {
            return MAPPER.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Cannot write " + v.getClass().getName() + " as JSON: " + e, e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /**
     * The JSON merge patch (RFC 7386 style, as Patroni's PATCH /config applies it) that turns {@code current} into
     * {@code target}: changed values are set, keys missing from the target are set to null (removed), nested objects
     * are patched recursively. Empty when they are equal.
     */
    static Map<String, Object> mergePatch(Map<String, Object> current, Map<String, Object> target) {
        Map<String, Object> patch = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : current.entrySet()) {
            if (!target.containsKey(e.getKey())) {
                patch.put(e.getKey(), null);
            }
        }
        for (Map.Entry<String, Object> e : target.entrySet()) {
            Object cur = current.get(e.getKey());
            Object want = e.getValue();
            if (cur instanceof Map && want instanceof Map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> sub = mergePatch((Map<String, Object>) cur, (Map<String, Object>) want);
                if (!sub.isEmpty()) {
                    patch.put(e.getKey(), sub);
                }
            } else if (!current.containsKey(e.getKey()) || !sameValue(cur, want)) {
                patch.put(e.getKey(), want);
            }
        }
        return patch;
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof Number && b instanceof Number) {
            return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString())) == 0;
        }
        return Objects.equals(a, b);
    }
}
