package io.pgcluster.jdbc.config;

/**
 * A pgcluster setting is missing, malformed, out of range or inconsistent with another one.
 *
 * <p>The message names the setting, quotes the offending value (secrets masked) and says what would be right.
 * {@link #property()} tells which catalog entry is at fault, when one is.
 *
 * <p>Thread-safety: immutable.
 */
public final class PgClusterConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient PgClusterProperty property;
    private final String key;

    /** Longest message: a megabyte of input quoted in full would help no one. */
    static final int MAX_MESSAGE = 2000;
    /** Longest quoted value or key. */
    static final int MAX_QUOTE = 200;

    PgClusterConfigException(PgClusterProperty property, String key, String message) {
        super(redact(message));
        this.property = property;
        this.key = key;
    }

    /** The catalog entry at fault, or {@code null} (an unknown key, or a problem of the URL as a whole). */
    public PgClusterProperty property() {
        return property;
    }

    /** The key at fault as the user wrote it, or {@code null} when the problem is not one key's. */
    public String key() {
        return key;
    }

    static PgClusterConfigException invalidValue(PgClusterProperty p, String raw, String expected) {
        String shown = raw == null ? "(none)" : "'" + (p.isSecret() ? "****" : quote(raw)) + "'";
        return new PgClusterConfigException(p, p.key(),
                "Invalid value " + shown + " for pgcluster property '" + p.key() + "': " + expected + ".");
    }

    static PgClusterConfigException missing(PgClusterProperty p, String why) {
        return new PgClusterConfigException(p, p.key(), "pgcluster property '" + p.key() + "' is required: " + why + ".");
    }

    static PgClusterConfigException conflict(PgClusterProperty p, String message) {
        return new PgClusterConfigException(p, p.key(), message);
    }

    static PgClusterConfigException unknownKey(String key, String suggestion) {
        String hint = suggestion == null
                ? "it is neither a pgcluster property nor a pgjdbc connection property; see docs/configuration.md"
                : "did you mean '" + suggestion + "'?";
        return new PgClusterConfigException(null, key, "Unknown property '" + quote(key) + "': " + hint);
    }

    /**
     * {@code text} as a message may quote it: user information masked, at most {@link #MAX_QUOTE} characters. Only
     * the start is looked at, so that a megabyte costs no more than a line.
     */
    static String quote(String text) {
        if (text.length() <= MAX_QUOTE) {
            return maskUserInfoAnywhere(text);
        }
        String start = maskUserInfoAnywhere(text.substring(0, 2 * MAX_QUOTE));
        return start.substring(0, Math.min(start.length(), MAX_QUOTE)) + "...(" + text.length() + " characters)";
    }

    /**
     * The message with anything that looks like user information masked ({@code user:password@} becomes
     * {@code user:****@}, wherever it stands: in a quoted URL, host list or value), and cut to
     * {@link #MAX_MESSAGE} characters. A last line of defence: the callers mask what they quote already.
     */
    private static String redact(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(maskUserInfoAnywhere(message));
        if (out.length() > MAX_MESSAGE) {
            int cut = out.length() - MAX_MESSAGE;
            out.replace(MAX_MESSAGE - 300, out.length() - 300, "...(" + cut + " characters left out)...");
        }
        return out.toString();
    }

    /**
     * {@code text} with everything that looks like user information masked: {@code user:password@} becomes
     * {@code user:****@} wherever it stands (after '//', a quote, a space or an opening bracket); a run of more
     * than {@link #MAX_QUOTE} characters before an '@' is masked whole.
     */
    static String maskUserInfoAnywhere(String message) {
        if (message.indexOf('@') < 0) {
            return message;
        }
        StringBuilder out = new StringBuilder(message.length());
        int done = 0;
        int maskedAt = -1;
        for (int at = message.indexOf('@'); at >= 0; at = message.indexOf('@', at + 1)) {
            if (maskedAt >= 0 && maskedAt == done && message.substring(done + 1, at).chars()
                    .noneMatch(c -> "'\" \t\r\n(".indexOf(c) >= 0)) {
                done = at; // "a:b@c@host": the password went on to this '@'
                maskedAt = at;
                continue;
            }
            if (message.startsWith("****", at - 4)) {
                continue; // masked already
            }
            // the user information ends at this '@' and starts after '//', a quote, a space or an opening bracket
            int start = at;
            while (start > done && at - start < MAX_QUOTE && "'\" \t\r\n(".indexOf(message.charAt(start - 1)) < 0
                    && !message.startsWith("//", start - 2)) {
                start--;
            }
            int colon = start;
            while (colon < at && message.charAt(colon) != ':') {
                colon++;
            }
            if (at - start >= MAX_QUOTE) {
                out.append(message, done, start).append("****"); // too long to tell: hide it all
                done = at;
                maskedAt = at;
            } else if (colon < at) {
                out.append(message, done, colon + 1).append("****");
                done = at;
                maskedAt = at;
            }
        }
        out.append(message, done, message.length());
        return out.toString();
    }

    static PgClusterConfigException general(String message) {
        return new PgClusterConfigException(null, null, message);
    }
}
