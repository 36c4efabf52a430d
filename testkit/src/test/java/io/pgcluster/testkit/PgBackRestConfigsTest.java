package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files the backup drill writes: pgbackrest.conf, s3proxy's properties, the restore sections of patroni.yml. */
class PgBackRestConfigsTest {
    private static final Configs.PgBackRestRestore RESTORE = new Configs.PgBackRestRestore("pgbackrest_pitr",
            "/usr/bin/pgbackrest --stanza=demo --type=none restore",
            "/usr/bin/pgbackrest --stanza=demo --delta --type=standby restore",
            "/usr/bin/pgbackrest --stanza=demo archive-get %f \"%p\"", "0/3000148",
            "/usr/bin/pgbackrest --stanza=demo --pg1-path=\"$PWD\" archive-push \"%p\"");

    private static String patroniYaml() {
        return Configs.patroniYaml(PatroniCluster.builder().scope("demo").spec(), "pg1", 5441, 5441, 8008, 2379,
                Path.of("/d/pg1/data"), Path.of("/d/pg1/pgpass"), Path.of("/usr/lib/postgresql/15/bin"),
                new Secrets());
    }

    @Test
    void patroniYamlGetsABootstrapMethodReplicaMethodsAndArchivingInTheDcsSection() {
        String y = Configs.withPgBackRestRestore(patroniYaml(), RESTORE);

        assertThat(y).contains("bootstrap:\n  method: pgbackrest_pitr\n  pgbackrest_pitr:\n"
                + "    command: '/usr/bin/pgbackrest --stanza=demo --type=none restore'\n    no_params: true\n");
        assertThat(y).contains("    recovery_conf:\n      restore_command: '/usr/bin/pgbackrest --stanza=demo "
                + "archive-get %f \"%p\"'\n      recovery_target_lsn: '0/3000148'\n",
                "      recovery_target_action: promote\n", "      recovery_target_timeline: latest\n");
        // the DCS is rebuilt from bootstrap.dcs after the removal: archiving must be there
        assertThat(y).contains("    postgresql:\n      use_pg_rewind: true\n      use_slots: true\n      parameters:\n"
                + "        archive_mode: 'on'\n        archive_command: '/usr/bin/pgbackrest --stanza=demo "
                + "--pg1-path=\"$PWD\" archive-push \"%p\"'\n        wal_level: replica\n");
        assertThat(y).contains("\npostgresql:\n  create_replica_methods:\n    - pgbackrest\n    - basebackup\n"
                + "  pgbackrest:\n    command: '/usr/bin/pgbackrest --stanza=demo --delta --type=standby restore'\n"
                + "    keep_data: true\n    no_params: true\n  recovery_conf:\n");
        assertThat(y).contains("  data_dir: '/d/pg1/data'\n"); // the rest is untouched
        assertThat(y.split("\nbootstrap:\n", -1)).hasSize(2);
        assertThat(y.split("\npostgresql:\n", -1)).hasSize(2);
    }

    @Test
    void aFileWithoutTheSectionsIsRefused() {
        assertThatThrownBy(() -> Configs.withPgBackRestRestore("scope: demo\n", RESTORE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap:");
    }

    @Test
    void pgBackRestTalksPathStyleHttpsVerifiedAgainstTheCaWithKeysInTheFile() {
        String c = PgBackRest.config(9443, "AK", "SK", Path.of("/s3/tls/ca.crt"), Path.of("/b"), "demo",
                Path.of("/d/pg1/data"));
        assertThat(c).contains("[global]\nrepo1-type=s3\n", "repo1-s3-endpoint=localhost\n",
                "repo1-storage-port=9443\n", "repo1-s3-uri-style=path\n", "repo1-s3-key=AK\n",
                "repo1-s3-key-secret=SK\n", "repo1-storage-ca-file=/s3/tls/ca.crt\n", "repo1-path=/repo\n",
                "\n[demo]\npg1-path=/d/pg1/data\n");
        assertThat(c).doesNotContain("verify-tls");
    }

    @Test
    void s3proxyServesHttpsOnlyWithSigV4Keys() {
        String p = S3Server.properties(9443, Path.of("/s3/tls/s3proxy.p12"), "ks-pw", Path.of("/s3/data"), "AK",
                "SK");
        assertThat(p).contains("s3proxy.secure-endpoint=https://127.0.0.1:9443\n", "s3proxy.identity=AK\n",
                "s3proxy.credential=SK\n", "s3proxy.keystore-path=/s3/tls/s3proxy.p12\n",
                "jclouds.provider=filesystem\n", "jclouds.filesystem.basedir=/s3/data\n");
        assertThat(p).doesNotContain("s3proxy.endpoint=").doesNotContain("http://");
    }

    @Test
    void pkcs12KeyStoreHoldsTheServerKeyAndIsPrivate(@TempDir Path dir) throws Exception {
        Certificates ca = Certificates.create(dir.resolve("tls"));
        Certificates.Issued server = ca.server("s3", List.of("localhost"), List.of("127.0.0.1"));

        Path p12 = ca.pkcs12(server, "s3proxy", "secret-pw");

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "secret-pw".toCharArray());
        }
        assertThat(ks.isKeyEntry("s3proxy")).isTrue();
        assertThat(ks.getCertificateChain("s3proxy")).hasSize(2); // the server's and the CA's
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p12))).isEqualTo("rw-------");
    }
}
