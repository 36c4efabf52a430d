package io.pgcluster.jdbc.internal.source;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds an {@link SSLContext} from the PEM files a topology source is configured with ({@code dcsCaFile},
 * {@code dcsCertFile}, {@code dcsKeyFile}), for the sources that speak TLS through the JDK (Patroni's REST API; any
 * other source whose client takes an {@code SSLContext}).
 *
 * <p>The CA file may hold several certificates; without it the JVM's default trust store is used. The key may be
 * PKCS#8 ({@code BEGIN PRIVATE KEY}: RSA, EC or EdDSA), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}), unencrypted. Host-name verification is not decided here: the caller turns it on
 * for its sockets (it is on for the Patroni REST source).
 *
 * <p>Errors are {@link IllegalArgumentException}s naming the property and the file, never the file's content.
 *
 * <p>Thread-safety: stateless.
 */
final class Tls {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** OID 1.2.840.113549.1.1.1 (rsaEncryption), DER-encoded with its tag. */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
            0x01, 0x01};
    /** OID 1.2.840.10045.2.1 (id-ecPublicKey), DER-encoded with its tag. */
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private Tls() {
    }

    /**
     * @param caFile PEM CA certificates to trust, or {@code null} for the JVM's trust store ({@code dcsCaFile})
     * @param certFile PEM client certificate chain, or {@code null} for none ({@code dcsCertFile})
     * @param keyFile PEM private key of {@code certFile} ({@code dcsKeyFile})
     */
    static SSLContext context(String caFile, String certFile, String keyFile) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (X509Certificate c : certificates("dcsCaFile", caFile)) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                List<X509Certificate> chain = certificates("dcsCertFile", certFile);
                PrivateKey key = privateKey(keyFile);
                char[] none = new char[0];
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, none);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("pgcluster: cannot set up TLS for the topology source from dcsCaFile "
                    + quote(caFile) + ", dcsCertFile " + quote(certFile) + ": " + e, e);
        }
    }

    static List<X509Certificate> certificates(String property, String file) {
        byte[] pem = read(property, file);
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory f = CertificateFactory.getInstance("X.509");
            Collection<? extends Certificate> all = f.generateCertificates(new ByteArrayInputStream(pem));
            for (Certificate c : all) {
                out.add((X509Certificate) c);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("pgcluster property '" + property + "': " + quote(file)
                    + " holds no readable PEM certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("pgcluster property '" + property + "': " + quote(file)
                    + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    static PrivateKey privateKey(String file) {
        String text = new String(read("dcsKeyFile", file), StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw badKey(file, "its " + type + " block is not valid base64", e);
            }
            switch (type) {
                case "PRIVATE KEY":
                    return pkcs8(file, der);
                case "RSA PRIVATE KEY":
                    return pkcs8(file, wrap(RSA_OID, new byte[] {0x05, 0x00}, der));
                case "EC PRIVATE KEY":
                    return pkcs8(file, wrap(EC_OID, curveOf(file, der), der));
                case "ENCRYPTED PRIVATE KEY":
                    throw badKey(file, "the key is encrypted; give an unencrypted one (openssl pkcs8 -topk8 -nocrypt)",
                            null);
                default:
                    // e.g. EC PARAMETERS in front of the key: look further
            }
        }
        throw badKey(file, "no PEM private key found (-----BEGIN PRIVATE KEY-----)", null);
    }

    private static PrivateKey pkcs8(String file, byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC", "EdDSA", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                // try the next algorithm
            }
        }
        throw badKey(file, "the key is neither RSA, EC nor EdDSA, or is malformed", null);
    }

    /** PrivateKeyInfo ::= SEQUENCE { INTEGER 0, SEQUENCE { algorithm OID, parameters }, OCTET STRING key }. */
    private static byte[] wrap(byte[] algorithmOid, byte[] parameters, byte[] key) {
        ByteArrayOutputStream algorithm = new ByteArrayOutputStream();
        algorithm.writeBytes(algorithmOid);
        algorithm.writeBytes(parameters);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(tlv(0x30, algorithm.toByteArray()));
        body.writeBytes(tlv(0x04, key));
        return tlv(0x30, body.toByteArray());
    }

    /**
     * The named-curve OID (with its tag) of a SEC1 ECPrivateKey ::= SEQUENCE { INTEGER 1, OCTET STRING,
     * [0] OID curve OPTIONAL, [1] BIT STRING OPTIONAL }.
     */
    private static byte[] curveOf(String file, byte[] der) {
        try {
            int[] pos = {0};
            expect(der, pos, 0x30);
            readLength(der, pos);
            while (pos[0] < der.length) {
                int tag = der[pos[0]++] & 0xff;
                int len = readLength(der, pos);
                if (tag == 0xa0) {
                    byte[] oid = new byte[len];
                    System.arraycopy(der, pos[0], oid, 0, len);
                    if (oid.length > 0 && oid[0] == 0x06) {
                        return oid;
                    }
                }
                pos[0] += len;
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw badKey(file, "its EC PRIVATE KEY block is malformed", e);
        }
        throw badKey(file, "its EC PRIVATE KEY names no curve; convert it with openssl pkcs8 -topk8 -nocrypt", null);
    }

    private static void expect(byte[] der, int[] pos, int tag) {
        if ((der[pos[0]++] & 0xff) != tag) {
            throw new ArrayIndexOutOfBoundsException("unexpected DER tag");
        }
    }

    private static int readLength(byte[] der, int[] pos) {
        int b = der[pos[0]++] & 0xff;
        if (b < 0x80) {
            return b;
        }
        int n = b & 0x7f;
        if (n > 3) {
            throw new ArrayIndexOutOfBoundsException("DER length too long");
        }
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (der[pos[0]++] & 0xff);
        }
        return len;
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int len = value.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static byte[] read(String property, String file) {
        try {
            long size = Files.size(Path.of(file));
            if (size > 1 << 20) {
                throw new IllegalArgumentException("pgcluster property '" + property + "': " + quote(file)
                        + " is " + size + " bytes; a PEM file of certificates or a key is far smaller");
            }
            return Files.readAllBytes(Path.of(file));
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException && e.getMessage().startsWith("pgcluster property")) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException("pgcluster property '" + property + "': cannot read " + quote(file)
                    + ": " + e, e);
        }
    }

    private static IllegalArgumentException badKey(String file, String why, Exception cause) {
        return new IllegalArgumentException("pgcluster property 'dcsKeyFile': " + quote(file) + ": " + why, cause);
    }

    private static String quote(String file) {
        return file == null ? "(none)" : "'" + file + "'";
    }
}
