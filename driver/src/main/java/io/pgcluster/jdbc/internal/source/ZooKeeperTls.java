package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import javax.net.ssl.SSLSocket;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.SSLContextAndOptions;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * The zookeeper source's TLS settings ({@code dcsTls}, {@code dcsCaFile}, {@code dcsCertFile}, {@code dcsKeyFile}),
 * written into each client's own {@link ZKClientConfig} and never into JVM-wide system properties, so that other
 * ZooKeeper clients of the application (and other pgcluster clusters) keep theirs: the Netty transport, the CA file
 * as a PEM trust store (else the JVM's trust store), the client certificate as a PEM key store, and host-name
 * verification on.
 *
 * <p>ZooKeeper reads a PEM key store from ONE file holding the certificate chain and its key; when
 * {@code dcsCertFile} and {@code dcsKeyFile} are two files, their concatenation is written to a temporary file
 * readable only by its owner, deleted by {@link #close()}.
 *
 * <p>Thread-safety: confined to the cluster's topology thread.
 */
final class ZooKeeperTls implements AutoCloseable {
    /** By name: the class refers to Netty, which only TLS users need on the class path. */
    private static final String NETTY_SOCKET = "org.apache.zookeeper.ClientCnxnSocketNetty";
    private final String caFile;
    private final String certFile;
    private final String keyFile;
    private final ClientX509Util x509 = new ClientX509Util();
    private Path keyStore; // the temporary file joining dcsCertFile and dcsKeyFile, once written
    private boolean tempKeyStore;
    private String jvmTrustStore; // the JVM's trust store handed to ZooKeeper when dcsCaFile is not set

    /**
     * @param caFile PEM CA file, or {@code null} for the JVM's trust store
     * @param certFile PEM client certificate, or {@code null}
     * @param keyFile PEM (PKCS#8) key of {@code certFile}, or {@code null}
     */
    ZooKeeperTls(String caFile, String certFile, String keyFile) {
        this.caFile = caFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** Whether the ZooKeeper client's Netty transport (which TLS needs) can be loaded; else why not. */
    static String missingNetty(ClassLoader loader) {
        // Built at run time: the shade plugin rewrites "io.netty" string constants to the driver's relocated copy,
        // which ZooKeeper's client (not relocated) does not use.
        String netty = String.join(".", "io", "netty");
        try {
            Class.forName(netty + ".handler.ssl.SslHandler", false, loader);
            Class.forName(netty + ".channel.epoll.Epoll", false, loader);
            return null;
        } catch (ClassNotFoundException | LinkageError e) {
            return "dcsTls=true with source zookeeper needs Netty on the class path (ZooKeeper's TLS transport): add "
                    + "io.netty:netty-handler and io.netty:netty-transport-classes-epoll (missing: " + e.getMessage()
                    + ")";
        }
    }

    /**
     * Writes the TLS settings into {@code config} and checks them by building the SSL context ZooKeeper will build.
     *
     * @throws IllegalStateException naming the setting when a file cannot be read or used
     */
    void apply(ZKClientConfig config) {
        String netty = missingNetty(ZooKeeperTls.class.getClassLoader());
        if (netty != null) {
            throw new IllegalStateException(netty);
        }
        config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, NETTY_SOCKET);
        config.setProperty(x509.getSslHostnameVerificationEnabledProperty(), "true");
        // The 3.9 client offers TLSv1.3 only by default; 3.5-3.8 servers speak TLSv1.2 only.
        config.setProperty(x509.getSslEnabledProtocolsProperty(), "TLSv1.3,TLSv1.2");
        if (caFile != null) {
            config.setProperty(x509.getSslTruststoreLocationProperty(), caFile);
            config.setProperty(x509.getSslTruststoreTypeProperty(), "PEM");
        } else {
            // Without a trust store of its own, ZooKeeper falls back to the JDK's trust manager, which does not check
            // host names; so it is handed the JVM's trust store as a file (JKS and PKCS12 load either way).
            // ZooKeeper checks the store's integrity, so it needs the password: the JDK's own stores have the
            // well-known "changeit"; a store named by javax.net.ssl.trustStore needs javax.net.ssl.trustStorePassword.
            String jvm = System.getProperty("javax.net.ssl.trustStore");
            Path home = Path.of(System.getProperty("java.home"), "lib", "security");
            boolean custom = jvm != null && !jvm.isEmpty() && !"NONE".equals(jvm);
            Path store = custom ? Path.of(jvm)
                    : Files.exists(home.resolve("jssecacerts")) ? home.resolve("jssecacerts") : home.resolve("cacerts");
            jvmTrustStore = store.toString();
            config.setProperty(x509.getSslTruststoreLocationProperty(), jvmTrustStore);
            config.setProperty(x509.getSslTruststoreTypeProperty(), "JKS");
            String password = System.getProperty("javax.net.ssl.trustStorePassword", custom ? null : "changeit");
            if (password != null) {
                config.setProperty(x509.getSslTruststorePasswdProperty(), password);
            }
        }
        if (certFile != null) {
            config.setProperty(x509.getSslKeystoreLocationProperty(), keyStore().toString());
            config.setProperty(x509.getSslKeystoreTypeProperty(), "PEM");
        }
        try {
            x509.createSSLContext(config);
        } catch (X509Exception.SSLContextException | RuntimeException e) {
            throw new IllegalStateException("TLS settings unusable (" + settings() + "): " + causes(e), e);
        }
    }

    /**
     * Tries a TLS handshake with {@code server} as ZooKeeper's client makes it, to tell why no connection could be
     * made (ZooKeeper's client only retries).
     *
     * @return why the handshake failed, or {@code null} if it succeeded (or the server could not be reached at all)
     */
    String probe(ZKClientConfig config, HostAndPort server, int timeoutMillis) {
        SSLContextAndOptions context;
        try {
            context = x509.createSSLContextAndOptions(config); // protocols and ciphers as ZooKeeper's client has them
        } catch (X509Exception.SSLContextException | RuntimeException e) {
            return "TLS settings unusable (" + settings() + "): " + causes(e);
        }
        try (SSLSocket socket = context.createSSLSocket()) {
            try {
                socket.connect(new InetSocketAddress(server.host(), server.port()), timeoutMillis);
            } catch (IOException e) {
                return null; // not a TLS problem: the caller reports the missing connection
            }
            socket.setSoTimeout(timeoutMillis);
            socket.startHandshake();
            return null;
        } catch (IOException | RuntimeException e) {
            return "TLS handshake with " + server + " failed: " + causes(e) + " (the server's certificate must be "
                    + "signed by a CA in " + (caFile != null ? "dcsCaFile " + caFile : "the JVM's trust store "
                    + "(dcsCaFile not set)") + " and name the host it is reached at"
                    + (certFile == null ? "; a server that requires a client certificate needs dcsCertFile and "
                    + "dcsKeyFile" : "") + ")";
        }
    }

    /** Whether a client certificate is presented ({@code dcsCertFile}). */
    boolean hasClientCertificate() {
        return certFile != null;
    }

    /**
     * The PEM key store for ZooKeeper: {@code dcsCertFile} itself when it is also {@code dcsKeyFile}, else a
     * temporary file joining both, written again at each (re)connection so that renewed files are picked up.
     */
    private Path keyStore() {
        Path cert = Path.of(certFile);
        Path key = Path.of(keyFile);
        if (cert.toAbsolutePath().normalize().equals(key.toAbsolutePath().normalize())) {
            return cert;
        }
        Path tmp = keyStore;
        try {
            String pem = Files.readString(cert) + "\n" + Files.readString(key) + "\n";
            if (tmp == null) {
                try {
                    tmp = Files.createTempFile("pgcluster-zookeeper-", ".pem",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    tmp = Files.createTempFile("pgcluster-zookeeper-", ".pem"); // not POSIX: the temp folder's rights
                }
                keyStore = tmp;
                tempKeyStore = true;
            }
            Files.writeString(tmp, pem);
            return tmp;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read dcsCertFile " + certFile + " and dcsKeyFile " + keyFile
                    + " into one PEM key store for ZooKeeper: " + e, e);
        }
    }

    private String settings() {
        return (caFile != null ? "dcsCaFile=" + caFile : "dcsCaFile not set: the JVM's trust store " + jvmTrustStore)
                + (certFile != null ? ", dcsCertFile=" + certFile + ", dcsKeyFile=" + keyFile : "");
    }

    /** The chain of messages, which tell what failed (a file, a certificate check) more than the outer one. */
    private static String causes(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null && s.length() < 600; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (s.indexOf(m) < 0) {
                s.append(s.length() == 0 ? "" : ": ").append(m);
            }
        }
        return s.toString();
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a temporary file; nothing else to do
            }
        }
    }

    /** Deletes the temporary key store, if one was written. */
    @Override
    public void close() {
        if (tempKeyStore) {
            deleteQuietly(keyStore);
            keyStore = null;
            tempKeyStore = false;
        }
    }
}
