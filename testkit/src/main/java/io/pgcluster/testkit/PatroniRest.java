package io.pgcluster.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * HTTP calls to Patroni's REST API and the HTTP endpoints of etcd and Consul, each bounded as a whole by its timeout: one HTTP/1.1
 * request per connection over a plain socket, or a TLS socket for https.
 *
 * <p>Not the JDK's {@code HttpClient}: over https it never completed Patroni 3.0.2's answers (HTTP/1.0, no
 * Content-Length, body ended by closing the TLS connection), and its request timeout does not cover the body, so
 * the rig hung in {@code GET /cluster}. HttpURLConnection cannot send PATCH ({@code PATCH /config}).
 *
 * <p>For a REST API secured by the rig ({@link RestSecurity}) it talks https, trusting the cluster's CA (host names
 * verified), presents the testkit's client certificate, and sends basic-auth credentials with every request.
 * Redirects are not followed.
 *
 * <p>Thread-safety: stateless after construction; safe for concurrent use.
 */
final class PatroniRest {
    private static final int MAX_BODY = 4 << 20;

    private final SSLSocketFactory tls;
    private final String authorization;
    private final String consulToken; // X-Consul-Token, or null

    /** Plain http, no credentials. */
    PatroniRest() {
        this(null, null, null, null);
    }

    /**
     * For Consul's HTTP API: https trusting {@code caFile} (or plain http when it is null), and the ACL token in
     * {@code X-Consul-Token} (none when null).
     */
    static PatroniRest consul(Path caFile, String token) {
        return new PatroniRest(caFile == null ? null : sslContext(caFile, null).getSocketFactory(), null, token);
    }

    private PatroniRest(SSLSocketFactory tls, String authorization, String consulToken) {
        this.tls = tls;
        this.authorization = authorization;
        this.consulToken = consulToken;
    }

    /**
     * @param caFile CA to trust for https, or {@code null} for plain http only
     * @param client client certificate and key (PKCS#8 PEM, as {@link Certificates} makes them), or {@code null}
     * @param user basic-auth user, or {@code null}
     * @param password its password
     */
    PatroniRest(Path caFile, Certificates.Issued client, String user, String password) {
        this.tls = caFile == null ? null : sslContext(caFile, client).getSocketFactory();
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.consulToken = null;
    }

    /** An SSLContext trusting {@code caFile}, with {@code client} as key (or none). */
    static SSLContext sslContext(Path caFile, Certificates.Issued client) {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(caFile)) {
                trust.setCertificateEntry("ca", cf.generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (client != null) {
                Certificate cert;
                try (InputStream in = Files.newInputStream(client.cert())) {
                    cert = cf.generateCertificate(in);
                }
                String pem = Files.readString(client.key(), StandardCharsets.US_ASCII);
                byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
                PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", key, new char[0], new Certificate[] {cert});
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new TestkitException("Cannot set up TLS for Patroni's REST API from " + caFile + ": " + e, e);
        }
    }

    /** Status code and body of one response. */
    static final class Response {
        final int status;
        final String body;

        Response(int status, String body) {
            this.status = status;
            this.body = body;
        }

        boolean ok() {
            return status / 100 == 2;
        }

        @Override
        public String toString() {
            return "HTTP " + status + (body.isBlank() ? "" : ": " + body.strip());
        }
    }

    Response get(String url, Duration timeout) throws IOException {
        return send("GET", url, null, timeout);
    }

    Response send(String method, String url, String jsonBody, Duration timeout) throws IOException {
        URI uri = URI.create(url);
        boolean https = "https".equals(uri.getScheme());
        if (https && tls == null) {
            throw new IOException("no CA to verify " + url + " with");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(uri.getHost(), port), remaining(deadline, url));
            raw.setSoTimeout(remaining(deadline, url));
            Socket s = raw;
            if (https) {
                SSLSocket ssl = (SSLSocket) tls.createSocket(raw, uri.getHost(), port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
            byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            StringBuilder head = new StringBuilder().append(method).append(' ').append(path)
                    .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(uri.getHost()).append(':').append(port).append("\r\n")
                    .append("Connection: close\r\n").append("Content-Length: ").append(body.length).append("\r\n");
            if (jsonBody != null) {
                head.append("Content-Type: application/json\r\n");
            }
            if (authorization != null) {
                head.append("Authorization: ").append(authorization).append("\r\n");
            }
            if (consulToken != null) {
                head.append("X-Consul-Token: ").append(consulToken).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            out.write(body);
            out.flush();
            return read(new BufferedInputStream(s.getInputStream()), raw, deadline, url);
        } catch (SocketTimeoutException e) {
            throw new IOException(method + " " + url + " timed out after " + timeout.toMillis() + " ms", e);
        }
    }

    private static Response read(InputStream in, Socket raw, long deadline, String url) throws IOException {
        String status = line(in, raw, deadline, url);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException(url + " answered no HTTP status line: " + status);
        }
        int code = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        String line;
        while (!(line = line(in, raw, deadline, url)).isEmpty()) {
            int colon = line.indexOf(':');
            String name = colon < 0 ? line : line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = colon < 0 ? "" : line.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Long.parseLong(value);
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            long n;
            while ((n = Long.parseLong(line(in, raw, deadline, url).split(";")[0].trim(), 16)) > 0) {
                copy(in, raw, deadline, url, body, n);
                line(in, raw, deadline, url);
            }
        } else {
            copy(in, raw, deadline, url, body, length);
        }
        return new Response(code, body.toString(StandardCharsets.UTF_8));
    }

    /** Copies {@code n} bytes, or up to the end of the stream if {@code n < 0}. */
    private static void copy(InputStream in, Socket raw, long deadline, String url, ByteArrayOutputStream out, long n)
            throws IOException {
        byte[] buf = new byte[8192];
        long left = n < 0 ? Long.MAX_VALUE : n;
        while (left > 0) {
            raw.setSoTimeout(remaining(deadline, url));
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                if (n >= 0) {
                    throw new IOException(url + ": connection closed in the middle of the body");
                }
                return;
            }
            out.write(buf, 0, r);
            left -= r;
            if (out.size() > MAX_BODY) {
                throw new IOException(url + " answered more than " + MAX_BODY + " bytes");
            }
        }
    }

    private static String line(InputStream in, Socket raw, long deadline, String url) throws IOException {
        StringBuilder s = new StringBuilder();
        while (true) {
            raw.setSoTimeout(remaining(deadline, url));
            int c = in.read();
            if (c < 0) {
                throw new IOException(url + ": connection closed before the answer was complete");
            }
            if (c == '\n') {
                int len = s.length();
                return len > 0 && s.charAt(len - 1) == '\r' ? s.substring(0, len - 1) : s.toString();
            }
            s.append((char) c);
            if (s.length() > 65536) {
                throw new IOException(url + " answered a head line longer than 64 KiB");
            }
        }
    }

    private static int remaining(long deadline, String url) throws SocketTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException(url);
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000));
    }
}
