package io.pgcluster.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS and authentication of the rig's etcd, made when the cluster is built with {@code etcdTls} or
 * {@code etcdAuth}: a throw-away CA ({@link Certificates}) with etcd's server certificate and client certificates
 * for Patroni (no CN, see {@link Certificates#clientWithoutCommonName}) and for clients under test (CN {@link #CLIENT_USER}); with auth, random passwords
 * for etcd's {@code root}, Patroni's user and the clients' user.
 *
 * <p>With TLS, etcd serves {@code https://} only and requires a client certificate signed by the CA
 * ({@code --client-cert-auth}). With auth, a client certificate alone authenticates as the user its CN names (etcd
 * does so when no user/password token is sent); {@link #CLIENT_USER} may read the cluster's prefix, Patroni's user
 * may read and write it.
 *
 * <p>Thread-safety: immutable once created.
 */
final class EtcdSecurity {
    static final String PATRONI_USER = "patroni";
    static final String CLIENT_USER = "pgcluster";

    final boolean tls;
    final boolean auth;
    final Certificates ca; // null without TLS
    final Certificates.Issued server;
    final Certificates.Issued patroni;
    final Certificates.Issued client;
    final Certificates.Issued anonymous; // no CN: names no etcd user
    final String rootPassword = Secrets.random(20);
    final String patroniPassword = Secrets.random(20);
    final String clientPassword = Secrets.random(20);

    private EtcdSecurity(boolean tls, boolean auth, Path dir) {
        this.tls = tls;
        this.auth = auth;
        if (tls) {
            this.ca = Certificates.create(dir);
            this.server = ca.server("etcd", List.of("localhost"), List.of(PatroniCluster.HOST));
            // no CN: etcd refuses gateway requests (Patroni's) from a certificate with one; Patroni logs in with
            // its password, so with auth its cert is only the TLS credential
            this.patroni = ca.clientWithoutCommonName(PATRONI_USER);
            this.client = ca.client(CLIENT_USER);
            this.anonymous = ca.clientWithoutCommonName("anonymous");
        } else {
            this.anonymous = null;
            this.ca = null;
            this.server = null;
            this.patroni = null;
            this.client = null;
        }
    }

    /** The security a spec asks for, or {@code null} for plain etcd. */
    static EtcdSecurity of(ClusterSpec spec, Path dir) {
        return spec.etcdTls || spec.etcdAuth ? new EtcdSecurity(spec.etcdTls, spec.etcdAuth, dir) : null;
    }

    /** etcd's command-line options for TLS on the client port (none without TLS). */
    List<String> etcdOptions() {
        if (!tls) {
            return List.of();
        }
        return List.of("--cert-file", server.cert().toString(), "--key-file", server.key().toString(),
                "--trusted-ca-file", ca.caFile().toString(), "--client-cert-auth");
    }

    /** etcdctl's connection options as {@code root}, for the given endpoint; {@code asRoot} once auth is on. */
    List<String> etcdctlOptions(String endpoint, boolean asRoot) {
        List<String> o = new ArrayList<>(List.of("--endpoints=" + endpoint, "--dial-timeout=3s",
                "--command-timeout=5s"));
        if (tls) {
            // the client certificate of the clients' user: etcd accepts it as TLS; with --user the token decides
            o.addAll(List.of("--cacert=" + ca.caFile(), "--cert=" + client.cert(), "--key=" + client.key()));
        }
        if (asRoot) {
            o.add("--user=root:" + rootPassword);
        }
        return o;
    }

    /**
     * The etcdctl commands (arguments after the connection options) that create the users and roles and enable
     * auth: root, Patroni's user with read-write on {@code prefix}, the clients' user with read on it.
     */
    List<List<String>> enableAuthCommands(String prefix) {
        return List.of(
                List.of("user", "add", "root:" + rootPassword),
                List.of("user", "grant-role", "root", "root"),
                List.of("role", "add", PATRONI_USER),
                List.of("role", "grant-permission", PATRONI_USER, "--prefix=true", "readwrite", prefix),
                List.of("user", "add", PATRONI_USER + ":" + patroniPassword),
                List.of("user", "grant-role", PATRONI_USER, PATRONI_USER),
                List.of("role", "add", CLIENT_USER),
                List.of("role", "grant-permission", CLIENT_USER, "--prefix=true", "read", prefix),
                List.of("user", "add", CLIENT_USER + ":" + clientPassword),
                List.of("user", "grant-role", CLIENT_USER, CLIENT_USER),
                List.of("auth", "enable"));
    }

    @Override
    public String toString() {
        return (tls ? "TLS with client certificates" : "plaintext") + (auth ? ", auth" : "");
    }
}
