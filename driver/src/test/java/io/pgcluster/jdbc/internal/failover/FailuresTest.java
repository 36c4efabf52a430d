package io.pgcluster.jdbc.internal.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class FailuresTest {

    @Test
    void connectionFailures() {
        assertThat(Failures.isConnectionFailure(new SQLException("refused", "08001"))).isTrue();
        assertThat(Failures.isConnectionFailure(new SQLException("io", "08006"))).isTrue();
        assertThat(Failures.isConnectionFailure(new SQLException("admin shutdown", "57P01"))).isTrue();
        assertThat(Failures.isConnectionFailure(new SQLException("crash", "57P02"))).isTrue();
        assertThat(Failures.isConnectionFailure(new SQLException("starting up", "57P03"))).isTrue();
        assertThat(Failures.isConnectionFailure(new SQLException("x", null, new SocketException("reset")))).isTrue();
        assertThat(Failures.isConnectionFailure(new SQLException("x", "XX000", new EOFException()))).isTrue();
        // HikariCP's timeout carries the last creation failure as its cause and SQLState
        assertThat(Failures.isConnectionFailure(new SQLTransientConnectionException("timed out", "08001",
                new SQLException("refused", "08001")))).isTrue();
    }

    @Test
    void notConnectionFailures() {
        assertThat(Failures.isConnectionFailure(new SQLException("duplicate", "23505"))).isFalse();
        assertThat(Failures.isConnectionFailure(new SQLException("read only", "25006"))).isFalse();
        assertThat(Failures.isConnectionFailure(new SQLException("too many", "53300"))).isFalse();
        // HikariCP's plain pool-exhausted timeout has no SQLState and no cause
        assertThat(Failures.isConnectionFailure(new SQLTransientConnectionException("timed out"))).isFalse();
    }

    @Test
    void refusalsAreLoginTlsAndMissingDatabaseNotConnectionFailures() {
        assertThat(Failures.isRefusal(new SQLException("password authentication failed", "28P01"))).isTrue();
        assertThat(Failures.isRefusal(new SQLException("certificate does not name the host", "28000"))).isTrue();
        assertThat(Failures.isRefusal(new SQLException("database \"x\" does not exist", "3D000"))).isTrue();
        assertThat(Failures.isRefusal(new SQLException("too many clients", "53300"))).isFalse();
        assertThat(Failures.isRefusal(new SQLException("refused", "08001"))).isFalse();
        assertThat(Failures.isRefusal(new SQLException("no state"))).isFalse();
        assertThat(Failures.isRefusal(new SQLException("28 but broken", "28P01", new SocketException("reset"))))
                .isFalse();
    }

    @Test
    void retryable() {
        assertThat(Failures.isRetryable(new SQLException("serialization", "40001"))).isTrue();
        assertThat(Failures.isRetryable(new SQLException("deadlock", "40P01"))).isTrue();
        assertThat(Failures.isRetryable(new SQLException("lost", "08006"))).isTrue();
        assertThat(Failures.isRetryable(new SQLException("unknown", "08007"))).isTrue();
        assertThat(Failures.isRetryable(new SQLException("syntax", "42601"))).isFalse();
        assertThat(Failures.isRetryable(new IllegalStateException())).isFalse();
    }
}
