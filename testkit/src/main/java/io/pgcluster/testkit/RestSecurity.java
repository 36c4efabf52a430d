package io.pgcluster.testkit;

/**
 * How the rig secures Patroni's REST API: https ({@code restapi.certfile}/{@code keyfile}, with {@code cafile} so
 * that members verify each other), client certificates ({@code verify_client: required}), and basic auth
 * ({@code restapi.authentication}, which Patroni 3 checks on its unsafe endpoints: POST, PATCH, PUT, DELETE).
 *
 * <p>A {@code null} password with a user means "generate one per cluster" (what {@link ClusterConfig#restAuth()}
 * asks for); {@link PatroniCluster#restPassword()} then tells it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param tls https with certificates of the cluster's CA
 * @param verifyClient every request needs a client certificate of that CA (needs {@code tls})
 * @param user basic-auth user, or {@code null} for none
 * @param password basic-auth password, or {@code null} to generate one (when {@code user} is set)
 */
record RestSecurity(boolean tls, boolean verifyClient, String user, String password) {
    static final RestSecurity NONE = new RestSecurity(false, false, null, null);
    static final String GENERATED_USER = "patroni";

    RestSecurity {
        if (verifyClient && !tls) {
            throw new IllegalArgumentException("restVerifyClient needs restTls: client certificates are checked in "
                    + "the TLS handshake");
        }
        if (user == null && password != null) {
            throw new IllegalArgumentException("a REST API password needs a user");
        }
        if (user != null && !user.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("REST API user must match [A-Za-z0-9_.-]+ but was '" + user + "'");
        }
        if (password != null && (password.isEmpty() || password.contains("'") || password.contains("\n"))) {
            throw new IllegalArgumentException("REST API password must be non-empty, without quotes or line breaks");
        }
    }

    boolean auth() {
        return user != null;
    }

    /** For {@link ClusterSpec#toString()}: never the password. */
    @Override
    public String toString() {
        if (!tls && !auth()) {
            return "";
        }
        return ", REST API " + (tls ? "https" + (verifyClient ? " with client certificates" : "") : "http")
                + (auth() ? ", basic auth" : "");
    }
}
