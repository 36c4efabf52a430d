package io.pgcluster.examples.jpa;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Read-your-writes across services over HTTP. A request carrying {@value #HEADER} (a position another service got
 * from this one, or from any service on the same cluster) is served by reads at least that fresh; the answer to a
 * request that may have written ({@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE}) carries the position that
 * covers its writes in the same header, for the caller to pass on.
 *
 * A malformed position is answered with 400.
 *
 * <p>Within this application nothing is needed: pgcluster already keeps a read after one of its own writes fresh.
 */
@Component
class PositionHeaderFilter extends OncePerRequestFilter {
    /** The request and response header. */
    static final String HEADER = "X-PgCluster-Position";

    private final ReadPositions positions;

    PositionHeaderFilter(ReadPositions positions) {
        this.positions = positions;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String wanted = request.getHeader(HEADER);
        ReadPositions.Scope scope;
        try {
            scope = wanted == null || wanted.isBlank() ? null : positions.readAtLeast(wanted.trim());
        } catch (IllegalArgumentException e) {
            response.sendError(HttpServletResponse.SC_BAD_REQUEST, HEADER + ": " + e.getMessage());
            return;
        }
        try (scope) {
            if (!mayWrite(request.getMethod())) {
                chain.doFilter(request, response);
                return;
            }
            // The handler commits the answer (a 303 has no body to wait for), after which a header is lost: the
            // body is held back until the position is known.
            ContentCachingResponseWrapper held = new ContentCachingResponseWrapper(response);
            try {
                chain.doFilter(request, held);
            } finally {
                String position = positions.writePosition();
                if (position != null && !held.isCommitted()) {
                    held.setHeader(HEADER, position);
                }
                held.copyBodyToResponse();
            }
        }
    }

    private static boolean mayWrite(String method) {
        return !("GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method)
                || "TRACE".equals(method));
    }
}
