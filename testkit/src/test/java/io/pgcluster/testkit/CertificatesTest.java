package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatesTest {

    @Test
    void serverCertificateIsSignedByTheCaAndNamesItsAddresses(@TempDir Path dir) throws Exception {
        Certificates ca = Certificates.create(dir.resolve("tls"));
        Certificates.Issued server = ca.server("pg1", List.of("localhost"), List.of("127.0.0.1"));
        Certificates.Issued client = ca.client("app");

        X509Certificate caCert = read(ca.caFile());
        X509Certificate serverCert = read(server.cert());
        serverCert.verify(caCert.getPublicKey());
        read(client.cert()).verify(caCert.getPublicKey());
        assertThat(caCert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(serverCert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1)))
                .collect(Collectors.toList())).containsExactlyInAnyOrder("localhost", "127.0.0.1");
        assertThat(Files.readString(server.key())).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.key()))).isEqualTo("rw-------");
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
