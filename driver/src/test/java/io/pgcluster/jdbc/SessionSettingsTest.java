package io.pgcluster.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLFeatureNotSupportedException;
import org.junit.jupiter.api.Test;

/** Session state that a transaction pooler would leave on a server session another client gets next. */
class SessionSettingsTest {

    @Test
    void theSchemaIsRefusedAndTheIsolationLevelOnlyRecordedBehindATransactionPooler() throws Exception {
        SessionSettings pooled = new SessionSettings(true, () -> false);

        assertThatThrownBy(() -> pooled.set(null, ConnectionWrapper.SET_SCHEMA__STRING, 0, "app"))
                .isInstanceOf(SQLFeatureNotSupportedException.class).hasMessageContaining("setSchema")
                .hasMessageContaining("pooler=node").hasMessageContaining("auto-commit");
        assertThat(pooled.isSet(ConnectionWrapper.SET_SCHEMA__STRING)).as("nothing recorded").isFalse();
        pooled.set(null, ConnectionWrapper.SET_TRANSACTION_ISOLATION__INT, Connection.TRANSACTION_SERIALIZABLE, null);
        assertThat(pooled.bits(ConnectionWrapper.SET_TRANSACTION_ISOLATION__INT))
                .isEqualTo(Connection.TRANSACTION_SERIALIZABLE);

        pooled.set(null, ConnectionWrapper.SET_SCHEMA__STRING, 0, null); // back to the server's: nothing to leak
        pooled.set(null, ConnectionWrapper.SET_HOLDABILITY__INT, java.sql.ResultSet.HOLD_CURSORS_OVER_COMMIT, null);
        assertThat(pooled.isSet(ConnectionWrapper.SET_HOLDABILITY__INT)).as("client-side state stays").isTrue();
    }

    @Test
    void directConnectionsKeepIsolationAndSchema() throws Exception {
        SessionSettings direct = new SessionSettings(false, () -> false);

        direct.set(null, ConnectionWrapper.SET_TRANSACTION_ISOLATION__INT, Connection.TRANSACTION_SERIALIZABLE, null);
        direct.set(null, ConnectionWrapper.SET_SCHEMA__STRING, 0, "app");

        assertThat(direct.bits(ConnectionWrapper.SET_TRANSACTION_ISOLATION__INT))
                .isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
        assertThat(direct.value(ConnectionWrapper.SET_SCHEMA__STRING)).isEqualTo("app");
    }
}
