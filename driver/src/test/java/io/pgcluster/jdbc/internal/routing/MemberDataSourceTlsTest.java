package io.pgcluster.jdbc.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcluster.jdbc.config.PgClusterConfig;
import io.pgcluster.jdbc.internal.connect.ServerConnector;
import io.pgcluster.jdbc.internal.failover.Failures;
import io.pgcluster.jdbc.failover.SqlStates;
import io.pgcluster.jdbc.topology.Member;
import io.pgcluster.jdbc.topology.Role;
import java.net.ConnectException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Which connect failures are TLS verification failures, reported at once instead of as a lost member. */
class MemberDataSourceTlsTest {
    private final MemberDataSource ds = new MemberDataSource(new ServerConnector(PgClusterConfig.builder()
            .etcd("127.0.0.1:2379").scope("demo").database("app").build()),
            new Member("pg1", "127.0.0.1", 5432, Role.PRIMARY, "running", 1, 0, 0, Map.of(), null), true, 1000,
            e -> { }, () -> false);

    @Test
    void anUntrustedCertificateIsNotAConnectionFailure() {
        SSLHandshakeException handshake = new SSLHandshakeException("PKIX path building failed");
        handshake.initCause(new CertificateException("unable to find valid certification path",
                new CertPathValidatorException("no trust anchor")));
        SQLException pgjdbc = new SQLException("SSL error: PKIX path building failed", "08006", handshake);

        SQLException s = ds.untrusted(pgjdbc);

        assertThat(s.getSQLState()).isEqualTo(SqlStates.SERVER_NOT_TRUSTED);
        assertThat(s.getMessage()).contains("pg1 (127.0.0.1:5432)").contains("TLS verification")
                .contains("unable to find valid certification path");
        assertThat(s.getSuppressed()).containsExactly(pgjdbc);
        assertThat(Failures.isConnectionFailure(s)).isFalse();
        assertThat(Failures.isRetryable(s)).isFalse();
    }

    @Test
    void pgjdbcsHostNameCheckIsRecognised() {
        SQLException pgjdbc = new SQLException("The hostname 127.0.0.1 could not be verified by hostnameverifier "
                + "PgjdbcHostnameVerifier.", "08006");

        assertThat(ds.untrusted(pgjdbc).getMessage()).contains("The hostname 127.0.0.1 could not be verified");
    }

    @Test
    void otherFailuresStayConnectionFailures() {
        assertThat((Object) ds.untrusted(new SQLException("Connection refused", "08001",
                new ConnectException("refused")))).isNull();
        assertThat((Object) ds.untrusted(new SQLException("SSL error: Connection reset", "08006",
                new SSLHandshakeException("Remote host terminated the handshake")))).isNull();
        assertThat((Object) ds.untrusted(new SQLException("password authentication failed", "28P01"))).isNull();
    }
}
