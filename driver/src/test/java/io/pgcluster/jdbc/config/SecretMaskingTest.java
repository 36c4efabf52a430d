package io.pgcluster.jdbc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgcluster.jdbc.PgClusterDriver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Defect 4 of issue 10: a password written into a URL never reaches a message, {@code mask()}, {@code describe()}
 * or {@code getPropertyInfo}, however the URL around it is mistyped.
 */
class SecretMaskingTest {
    private static final String SECRET = "Hunter2-secret";

    /** Every view of {@code url} that a user or a log can see, checked for the password. */
    private static void assertNoSecretAnywhere(String url) {
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                () -> PgClusterUrl.parse(url, null).build(), url);
        assertThat(e.getMessage()).as(url).doesNotContain(SECRET);
        SQLException sql = assertThrows(SQLException.class, () -> new PgClusterDriver().connect(url, null), url);
        assertThat(sql.getMessage()).as(url).doesNotContain(SECRET);
        assertThat(sql.getSQLState()).as(url).isEqualTo("08001");
        assertThat(PgClusterUrl.mask(url)).as(url).doesNotContain(SECRET);
        assertThat(PgClusterUrl.describe(url, null).toString()).as(url).doesNotContain(SECRET);
        for (DriverPropertyInfo p : new PgClusterDriver().getPropertyInfo(url, null)) {
            assertThat(String.valueOf(p.value)).as(url + " " + p.name).doesNotContain(SECRET);
        }
    }

    @Test
    void userInfoBeforeAMistypedHostListIsNeverShown() {
        for (String hosts : new String[] {"h1:2379, h2:2379", "h1:2379;h2:2379", "h1:2379,\th2:2379", "h1:+2379",
                "h1:2379&h2:2379", "h1 h2", "", "h1:2379,,h2", "[::1:2379", "h1:2379/h2:2379"}) {
            String url = "jdbc:pgcluster:etcd://app:" + SECRET + "@" + hosts + "/db?scope=s";
            assertNoSecretAnywhere(url);
            assertThat(PgClusterUrl.mask(url)).as(url).contains("app:****@");
        }
        // the password itself holds URL syntax, and the host list is mistyped too
        assertNoSecretAnywhere("jdbc:pgcluster:etcd://app:" + SECRET + "/x?y@h1; h2/db?scope=s");
        assertNoSecretAnywhere("jdbc:pgcluster:etcd://app:" + SECRET + "@x@h1 h2/db?scope=s");
    }

    @Test
    void userInfoWithoutTheSlashesIsNeverShown() {
        assertNoSecretAnywhere("jdbc:pgcluster:etcd:app:" + SECRET + "@h1,h2/db?scope=s");
        assertNoSecretAnywhere("jdbc:pgcluster:etcd:/app:" + SECRET + "@h1;h2/db?scope=s");
    }

    @Test
    void aUrlMissingSlashesOrQuestionMarkNeverShowsALaterPassword() {
        assertNoSecretAnywhere("jdbc:pgcluster:etcd:h1:2379/db&password=" + SECRET);
        assertNoSecretAnywhere("jdbc:pgcluster:etcd:h1:2379/db?scope=s&password=" + SECRET + "//x@y");
        assertNoSecretAnywhere("jdbc:pgcluster:etcd:?password=a//" + SECRET);
        assertNoSecretAnywhere("jdbc:pgcluster:etcd:h1/db;password=" + SECRET);
        assertNoSecretAnywhere("jdbc:pgcluster:etcd://h1/db&password=" + SECRET);
        assertNoSecretAnywhere("jdbc:pgcluster:etcd://h1/db;password=" + SECRET);
        assertNoSecretAnywhere("jdbc:pgcluster:etcd://h1/db&pass%77ord%3D" + SECRET);
    }

    @Test
    void aServersValueWithUserInfoIsRefusedWithoutQuotingThePassword() {
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                () -> PgClusterConfig.builder().set("servers", "app:" + SECRET + "@h1:2379, h2:2379"));
        assertThat(e).hasMessageNotContaining(SECRET).hasMessageContaining("app:****@h1:2379")
                .hasMessageContaining("user information");
        assertThat(e.property()).isEqualTo(PgClusterProperty.SERVERS);
        Properties info = new Properties();
        info.setProperty("servers", "app:" + SECRET + "@h1");
        assertThat(assertThrows(PgClusterConfigException.class,
                () -> PgClusterUrl.parse("jdbc:pgcluster:hosts://db1/d", info))).hasMessageNotContaining(SECRET);
    }

    @Test
    void everyMessageMasksUserInfoWhereverItStands() {
        PgClusterConfigException e = PgClusterConfigException.general("bad 'app:" + SECRET + "@h1', (u:" + SECRET
                + "@h2) and jdbc:pgcluster:etcd://v:" + SECRET + "@h3/db; but orders@eu and app:****@h4 stay");
        assertThat(e.getMessage()).isEqualTo("bad 'app:****@h1', (u:****@h2) and jdbc:pgcluster:etcd://v:****@h3/db;"
                + " but orders@eu and app:****@h4 stay");
    }

    @Test
    void aHugeValueIsQuotedShortly() {
        char[] big = new char[1 << 20];
        Arrays.fill(big, '7');
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                () -> PgClusterProperty.FAILOVER_TIMEOUT.parse(new String(big) + "x"));
        assertThat(e.getMessage().length()).isLessThanOrEqualTo(PgClusterConfigException.MAX_MESSAGE + 64);
        assertThat(e).hasMessageContaining("failoverTimeout").hasMessageContaining("1048577 characters");
    }
    // Found by ConfigFuzzTest (seed 20261202) and fixed; each stays as a regression test.

    @Test
    void aPasswordSettingInTheDatabaseNameIsRefusedNotStored() {
        String url = "jdbc:pgcluster:hosts://[::1]:5,db2/apppassword=" + SECRET + "lmode=require&ApplicationName=x";
        assertNoSecretAnywhere(url);
        assertThat(assertThrows(PgClusterConfigException.class, () -> PgClusterUrl.parse(url, null)))
                .hasMessageContaining("password setting in its database name");
    }

    @Test
    void aPasswordSettingInsideAnotherValueIsRefusedAndMasked() {
        String url = "jdbc:pgcluster:etcd://h1/orders?scope=orders&namespace=/pg=password=" + SECRET + "&x";
        assertNoSecretAnywhere(url);
        assertThat(PgClusterUrl.mask(url))
                .isEqualTo("jdbc:pgcluster:etcd://h1/orders?scope=orders&namespace=****&****");
        assertNoSecretAnywhere("jdbc:pgcluster:zookeeper://z1:2181/d://scopedcsUser=u0dcsPassword=" + SECRET
                + "&dcsTls");
    }

    @Test
    void aMissingHostListNamesTheServersKey() {
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                () -> PgClusterUrl.parse("jdbc:pgcluster:etcd:///h1/db?scope=s", null));
        assertThat(e.key()).isEqualTo("servers");
        assertThat(e).hasMessageContaining("(servers)");
    }

    @Test
    void aValueEqualToAKeyIsNotScrubbedFromMessages() {
        PgClusterConfigException e = assertThrows(PgClusterConfigException.class,
                () -> PgClusterUrl.parse("jdbc:pgcluster:etcd://h1/db?scope=s&password=password&password=x", null));
        assertThat(e).hasMessageContaining("Parameter 'password' appears twice");
    }
}
