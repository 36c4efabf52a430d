package io.pgcluster.jdbc.internal.source;

import io.pgcluster.jdbc.internal.address.HostAndPort;
import io.pgcluster.jdbc.config.PgClusterConfig;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal HTTP/1.1 {@code GET} client for Patroni's REST API, made for a topology source that must never hang:
 * one request per connection, and one deadline for the whole exchange (connect, TLS handshake, request, head and
 * body), enforced before every read, so that a server that answers byte by byte is abandoned at the deadline.
 *
 * <p>Over {@code https} the server's certificate is verified (against {@code dcsCaFile}, else the JVM's trust
 * store) and must name the host it is reached at. Basic-auth credentials are sent with every request (Patroni 3
 * checks them on its unsafe endpoints only; a proxy in front may check them on every one). Redirects are never
 * followed: a {@code 3xx} is a failed request ({@link Redirect}), so credentials cannot be carried elsewhere. The
 * head is bounded to 64 KiB and the body to {@link #MAX_BODY}.
 *
 * <p>The JDK's {@code HttpClient} was not used: in Java 17 its request timeout ends once the head has arrived (a
 * dribbled body is not bounded), it cannot abort an exchange from another thread, and it has no {@code close()}.
 *
 * <p>Thread-safety: {@link #get} runs on one thread at a time (the topology thread); {@link #abort()} may be called
 * from any thread and makes a {@code get} in progress fail at once.
 */
final class RestClient {
    /** Largest body accepted: a {@code /cluster} answer of a few dozen members is a few KiB. */
    static final int MAX_BODY = 1 << 20;
    private static final int MAX_HEAD = 64 << 10;

    private final SSLSocketFactory tls;
    private final String trustDescription;
    private final String authorization;
    private volatile Socket inFlight;
    private volatile boolean aborted;

    /**
     * @param tls the factory for {@code https}, or {@code null} for plain {@code http}
     * @param trustDescription what the server certificate is verified against, for messages
     * @param user basic-auth user, or {@code null} for none
     * @param password basic-auth password (never shown anywhere)
     */
    RestClient(SSLSocketFactory tls, String trustDescription, String user, String password) {
        this.tls = tls;
        this.trustDescription = trustDescription;
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
    }

    /** The client the configuration asks for: TLS from {@code dcsTls}/{@code dcsCaFile}/..., basic auth. */
    static RestClient of(PgClusterConfig config) {
        SSLSocketFactory factory = null;
        String trust = null;
        if (config.dcsTls()) {
            factory = Tls.context(config.dcsCaFile(), config.dcsCertFile(), config.dcsKeyFile()).getSocketFactory();
            trust = config.dcsCaFile() == null ? "the JVM's trust store" : "dcsCaFile '" + config.dcsCaFile() + "'";
        }
        return new RestClient(factory, trust, config.dcsUser(), config.dcsPassword());
    }

    /** {@code http} or {@code https}. */
    String scheme() {
        return tls == null ? "http" : "https";
    }

    /** A 3xx answer, which is never followed. */
    static final class Redirect extends IOException {
        private static final long serialVersionUID = 1L;

        Redirect(String message) {
            super(message);
        }
    }

    /**
     * {@code GET path} on {@code address}; the body of a {@code 200} answer.
     *
     * @throws IOException with a message fit for operators (no secrets) if there is no {@code 200} answer complete
     *     within {@code timeout}
     */
    String get(HostAndPort address, String path, Duration timeout) throws IOException {
        Response r = exchange(address, path, Map.of(), timeout);
        if (r.status() != 200) {
            throw new IOException("GET " + path + " answered HTTP " + r.status() + hint(r.status())
                    + (r.body().isEmpty() ? "" : ": " + r.body()));
        }
        return r.body();
    }

    /**
     * One answer other than a redirect.
     *
     * @param status the HTTP status
     * @param headers the head's headers, names in lower case (a repeated header's last value)
     * @param body the body of a {@code 200} answer; of any other, its start in printable ASCII (at most 160 chars)
     */
    record Response(int status, Map<String, String> headers, String body) {
    }

    /**
     * {@code GET path} on {@code address} with extra request headers (such as an API token, never shown anywhere),
     * bounded as a whole by {@code timeout} like {@link #get}; any status but a redirect is returned, for callers that
     * tell statuses apart (Consul answers 404 for an empty prefix, 403 for a refused token).
     *
     * @throws IOException with a message fit for operators (no secrets) if there is no complete answer within
     *     {@code timeout}, or the answer is a redirect ({@link Redirect})
     */
    Response exchange(HostAndPort address, String path, Map<String, String> headers, Duration timeout)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        DeadlineSocket raw = new DeadlineSocket(deadline, timeout);
        inFlight = raw;
        try {
            if (aborted) {
                throw new IOException("closed");
            }
            raw.connect(new InetSocketAddress(address.host(), address.port()), raw.remainingMillis());
            Socket s = raw;
            if (tls != null) {
                s = handshake(raw, address);
            }
            try {
                OutputStream out = s.getOutputStream();
                out.write(request(address, path, headers).getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (SocketException e) {
                throw hungUp(e);
            }
            return read(new BufferedInputStream(s.getInputStream(), 8192), path);
        } catch (SocketTimeoutException e) {
            throw new IOException("no complete answer within " + timeout.toMillis() + " ms (dcsTimeout)", e);
        } catch (IOException e) {
            if (aborted) {
                throw new IOException("closed", e);
            }
            throw e;
        } finally {
            inFlight = null;
            raw.close();
        }
    }

    /**
     * Makes a {@link #get} or {@link #exchange} in progress fail at once (it throws an {@code IOException}); later
     * calls work as usual. For a caller that must stop waiting on a server another check found silent.
     */
    void cancel() {
        Socket s = inFlight;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    /** Makes a {@link #get} in progress fail at once, and every later one; for closing the source. */
    void abort() {
        aborted = true;
        Socket s = inFlight;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    private Socket handshake(Socket raw, HostAndPort address) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.createSocket(raw, address.host(), address.port(), true);
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(p);
        try {
            ssl.startHandshake();
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (SSLHandshakeException e) {
            throw new IOException("TLS handshake failed (dcsTls=true; the server's certificate is verified against "
                    + trustDescription + " and must name " + address.host() + "): " + rootMessage(e), e);
        } catch (SSLException e) {
            throw new IOException("TLS handshake failed (dcsTls=true: does this address serve https?): "
                    + rootMessage(e), e);
        }
        return ssl;
    }

    /**
     * The server hung up before answering: Python's TLS server (Patroni's https REST API) resets a connection that
     * speaks plain HTTP, and, in TLS 1.3, ends one whose client certificate it refuses after the handshake.
     */
    private SocketException hungUp(SocketException e) {
        if (aborted) {
            return e;
        }
        SocketException out = new SocketException(e.getMessage() + " before an answer (" + (tls == null
                ? "if the REST API serves https, set dcsTls=true and dcsCaFile"
                : "if the REST API wants a client certificate (verify_client), set dcsCertFile and dcsKeyFile") + ")");
        out.initCause(e);
        return out;
    }

    private String request(HostAndPort address, String path, Map<String, String> headers) {
        StringBuilder r = new StringBuilder(160).append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(address).append("\r\n")
                .append("Accept: application/json\r\n")
                .append("User-Agent: pgcluster\r\n")
                .append("Connection: close\r\n");
        if (authorization != null) {
            r.append("Authorization: ").append(authorization).append("\r\n");
        }
        headers.forEach((name, value) -> r.append(name).append(": ").append(value).append("\r\n"));
        return r.append("\r\n").toString();
    }

    private Response read(InputStream in, String path) throws IOException {
        String statusLine;
        try {
            statusLine = line(in, true);
        } catch (SocketException e) {
            throw hungUp(e);
        }
        int status = status(statusLine);
        long contentLength = -1;
        boolean chunked = false;
        int headBytes = statusLine.length();
        Map<String, String> headers = new HashMap<>();
        String line;
        while (!(line = line(in, false)).isEmpty()) {
            headBytes += line.length() + 2;
            if (headBytes > MAX_HEAD) {
                throw new IOException("GET " + path + " answered a head larger than 64 KiB");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            headers.put(name, value);
            if (name.equals("content-length")) {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("GET " + path + " answered a malformed Content-Length");
                }
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        if (status / 100 == 3) {
            throw new Redirect("GET " + path + " answered HTTP " + status + " (a redirect); redirects are not "
                    + "followed, so that credentials go nowhere else: configure the address that serves it");
        }
        if (status != 200) {
            return new Response(status, headers, excerpt(in));
        }
        if (contentLength > MAX_BODY) {
            throw new IOException("GET " + path + " announced " + contentLength + " bytes, more than the "
                    + MAX_BODY + " accepted");
        }
        byte[] body = chunked ? chunked(in, path) : body(in, contentLength, path);
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private String hint(int status) {
        if (status == 401) {
            return authorization == null ? " (the REST API wants credentials: set dcsUser and dcsPassword)"
                    : " (the REST API refused dcsUser/dcsPassword)";
        }
        if (status == 403) {
            return tls == null ? " (forbidden)" : " (forbidden: does it want a client certificate, dcsCertFile/"
                    + "dcsKeyFile?)";
        }
        return "";
    }

    /** The start of an error body, printable ASCII only, for the message. */
    private static String excerpt(InputStream in) {
        try {
            byte[] b = new byte[160];
            int n = 0;
            int r;
            while (n < b.length && (r = in.read(b, n, b.length - n)) > 0) {
                n += r;
            }
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < n; i++) {
                char c = (char) (b[i] & 0xff);
                s.append(c >= 0x20 && c < 0x7f ? c : ' ');
            }
            return s.toString().strip();
        } catch (IOException e) {
            return "";
        }
    }

    private int status(String statusLine) throws IOException {
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw notHttp();
        }
        try {
            int status = Integer.parseInt(parts[1]);
            if (status < 100 || status > 999) {
                throw notHttp();
            }
            return status;
        } catch (NumberFormatException e) {
            throw notHttp();
        }
    }

    private IOException notHttp() {
        return new IOException("the answer is not HTTP" + (tls == null ? " (if the REST API serves https, set "
                + "dcsTls=true and dcsCaFile)" : ""));
    }

    /** One head line without its line end; bounded. */
    private String line(InputStream in, boolean first) throws IOException {
        StringBuilder s = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (first && s.length() == 0) {
                    throw new EOFException("the server closed the connection without an answer"
                            + (tls == null ? " (if the REST API serves https, set dcsTls=true and dcsCaFile)" : ""));
                }
                throw new EOFException("the server closed the connection in the middle of the head");
            }
            if (c == '\n') {
                int len = s.length();
                return len > 0 && s.charAt(len - 1) == '\r' ? s.substring(0, len - 1) : s.toString();
            }
            if (first && s.length() == 0 && c != 'H') {
                throw notHttp();
            }
            s.append((char) c);
            if (s.length() > 8192) {
                throw new IOException("the answer has a head line longer than 8 KiB");
            }
        }
    }

    private static byte[] body(InputStream in, long contentLength, String path) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(contentLength > 0 ? (int) contentLength : 8192);
        byte[] buf = new byte[8192];
        long left = contentLength < 0 ? Long.MAX_VALUE : contentLength;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                if (contentLength >= 0) {
                    throw new EOFException("the server closed the connection after " + out.size() + " of "
                            + contentLength + " bytes");
                }
                break;
            }
            out.write(buf, 0, r);
            left -= r;
            if (out.size() > MAX_BODY) {
                throw new IOException("GET " + path + " answered more than " + MAX_BODY + " bytes");
            }
        }
        return out.toByteArray();
    }

    private byte[] chunked(InputStream in, String path) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in, false);
            int semicolon = size.indexOf(';');
            long n;
            try {
                n = Long.parseLong((semicolon >= 0 ? size.substring(0, semicolon) : size).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("GET " + path + " answered a malformed chunk");
            }
            if (n < 0 || out.size() + n > MAX_BODY) {
                throw new IOException("GET " + path + " answered more than " + MAX_BODY + " bytes");
            }
            if (n == 0) {
                return out.toByteArray();
            }
            out.write(body(in, n, path));
            line(in, false);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return t == e ? m : e.getMessage() + " (" + m + ")";
    }

    /**
     * A socket whose reads (its own, and those of a TLS socket layered on it) all end by one deadline: before each
     * read the read timeout is set to the time left, and none is left after the deadline.
     */
    private static final class DeadlineSocket extends Socket {
        private final long deadline;
        private final Duration timeout;

        DeadlineSocket(long deadline, Duration timeout) {
            this.deadline = deadline;
            this.timeout = timeout;
        }

        int remainingMillis() throws SocketTimeoutException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("deadline of " + timeout.toMillis() + " ms passed");
            }
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000));
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return new FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    setSoTimeout(remainingMillis());
                    return super.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    setSoTimeout(remainingMillis());
                    return super.read(b, off, len);
                }
            };
        }
    }
}
