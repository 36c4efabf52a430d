package io.pgcluster.jdbc.internal.source;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What slf4j-simple (the tests' binding, which writes to {@code System.err} as it is at each call) logged while a
 * piece of code ran.
 */
final class CapturedLog {
    private CapturedLog() {
    }

    interface Body {
        void run() throws Exception;
    }

    static String during(Body body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
