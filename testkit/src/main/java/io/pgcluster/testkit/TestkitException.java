package io.pgcluster.testkit;

/**
 * Thrown when the rig cannot do what it was asked: a server did not start, a wait timed out, Patroni refused an
 * operation. The message names what was waited for or attempted and what was observed last; failures during
 * {@link PatroniClusterBuilder#start()} also carry the tail of every server's log.
 *
 * <p>Instances are immutable and therefore thread-safe.
 *
 * <pre>{@code
 * try {
 *   cluster.awaitHealthy(Duration.ofSeconds(30));
 * } catch (TestkitException e) {
 *   System.err.println(cluster.dumpLogs(40));
 *   throw e;
 * }
 * }</pre>
 */
public final class TestkitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the operation and the last observation.
     *
     * @param message what failed, and why
     */
    public TestkitException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message what failed, and why
     * @param cause the underlying failure
     */
    public TestkitException(String message, Throwable cause) {
        super(message, cause);
    }
}
