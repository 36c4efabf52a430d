package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for TLS tests: a CA and the server and client certificates it signs, made at run
 * time with {@code openssl} (ECDSA P-256, valid for two days) as PEM files in one folder.
 *
 * <p>Keys are unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), which PostgreSQL, etcd, Patroni, ZooKeeper (through
 * a PEM trust/key store) and Netty all read. Every file is readable only by its owner; {@link #handTo(RunAs)} gives
 * the folder to the user the servers run as, because PostgreSQL refuses a key file that others can read and the
 * servers cannot read root's files.
 *
 * <pre>{@code
 * Certificates ca = Certificates.create(dir.resolve("tls"));
 * Certificates.Issued server = ca.server("pg1", List.of("localhost"), List.of("127.0.0.1"));
 * Certificates.Issued client = ca.client("app");
 * }</pre>
 *
 * <p>Thread-safety: not thread-safe; create the certificates before the servers start.
 */
public final class Certificates {
    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    /** A certificate and its private key. */
    public record Issued(Path cert, Path key) {
    }

    private Certificates(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.crt");
        this.caKey = dir.resolve("ca.key");
    }

    /** Creates a new CA in {@code dir} (created if missing). */
    public static Certificates create(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TestkitException("Cannot create " + dir + ": " + e, e);
        }
        Certificates c = new Certificates(dir);
        c.openssl(List.of("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", c.caKey.toString(), "-out", c.caCert.toString(), "-days", "2",
                "-subj", "/CN=pgcluster test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign"));
        return c;
    }

    /** The CA certificate (PEM): what clients trust. */
    public Path caFile() {
        return caCert;
    }

    /** The folder holding every file. */
    public Path dir() {
        return dir;
    }

    /**
     * A server certificate for these DNS names and IP addresses (its subject alternative names; the first name, or
     * else the first IP, is also the common name). It is valid for client authentication too, so that servers that
     * talk to each other (etcd peers) can use it both ways.
     */
    public Issued server(String name, List<String> dnsNames, List<String> ips) {
        List<String> san = new ArrayList<>();
        dnsNames.forEach(d -> san.add("DNS:" + d));
        ips.forEach(i -> san.add("IP:" + i));
        if (san.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name or IP address");
        }
        String cn = !dnsNames.isEmpty() ? dnsNames.get(0) : ips.get(0);
        return issue(name, "/CN=" + cn, "subjectAltName=" + String.join(",", san) + "\n"
                + "extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
    }

    /** A client certificate whose common name is {@code commonName} (etcd maps it to a user name). */
    public Issued client(String commonName) {
        return issue("client-" + commonName, "/CN=" + commonName,
                "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
    }

    /**
     * A client certificate without a common name (subject {@code O=<name>}): etcd 3.4 with {@code --client-cert-auth}
     * refuses every request to its JSON gateway (which Patroni's etcd3 client uses) from a certificate whose CN is
     * set, because it would not map that CN to a user there.
     */
    public Issued clientWithoutCommonName(String name) {
        return issue("client-" + name, "/O=" + name,
                "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
    }

    /**
     * The certificate, its key and this CA's certificate as a PKCS#12 key store (for Java servers such as s3proxy's
     * Jetty), readable only by its owner.
     *
     * @return the key store file, {@code <alias>.p12} in {@link #dir()}
     */
    public Path pkcs12(Issued issued, String alias, String password) {
        Path p12 = dir.resolve(alias + ".p12");
        // the password goes through the environment so that it never shows in a process list
        openssl(List.of("pkcs12", "-export", "-in", issued.cert().toString(), "-inkey", issued.key().toString(),
                "-certfile", caCert.toString(), "-name", alias, "-out", p12.toString(), "-passout", "env:P12_PASSWORD"),
                password);
        restrict(p12);
        return p12;
    }

    /** Hands the folder to the user the servers run as (a no-op unless the JVM runs as root). */
    Certificates handTo(RunAs runAs) {
        runAs.own(dir);
        return this;
    }

    private Issued issue(String fileName, String subject, String extensions) {
        Path key = dir.resolve(fileName + ".key");
        Path csr = dir.resolve(fileName + ".csr");
        Path cert = dir.resolve(fileName + ".crt");
        Path ext = dir.resolve(fileName + ".ext");
        try {
            Files.writeString(ext, extensions, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TestkitException("Cannot write " + ext + ": " + e, e);
        }
        openssl(List.of("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", csr.toString(), "-subj", subject));
        openssl(List.of("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString()));
        restrict(key);
        return new Issued(cert, key);
    }

    private static void restrict(Path key) {
        try {
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            throw new TestkitException("Cannot restrict " + key + " to its owner: " + e, e);
        }
    }

    private void openssl(List<String> args) {
        openssl(args, null);
    }

    private void openssl(List<String> args, String p12Password) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(args);
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
            if (p12Password != null) {
                pb.environment().put("P12_PASSWORD", p12Password);
            }
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TestkitException("openssl timed out: " + String.join(" ", command));
            }
            if (p.exitValue() != 0) {
                throw new TestkitException("openssl failed (" + p.exitValue() + "): " + String.join(" ", command)
                        + "\n" + out);
            }
        } catch (IOException e) {
            throw new TestkitException("Cannot run openssl (apt-get install openssl): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while running openssl", e);
        }
    }
}
