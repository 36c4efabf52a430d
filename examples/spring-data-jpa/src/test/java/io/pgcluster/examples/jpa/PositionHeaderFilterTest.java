package io.pgcluster.examples.jpa;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

class PositionHeaderFilterTest {

    /** Records what the filter asked for, and which scopes are open while the request runs. */
    private static final class Recorder implements ReadPositions {
        final List<String> events = new ArrayList<>();
        String position = "0/3000148";

        @Override
        public String writePosition() {
            events.add("writePosition");
            return position;
        }

        @Override
        public Scope readAtLeast(String p) {
            if (!p.contains("/")) {
                throw new IllegalArgumentException("not a position: " + p);
            }
            events.add("open " + p);
            return () -> events.add("close " + p);
        }
    }

    private final Recorder positions = new Recorder();
    private final PositionHeaderFilter filter = new PositionHeaderFilter(positions);

    /** A handler that answers 303 and commits the answer at once, as Spring MVC does for a body-less entity. */
    private MockFilterChain redirectingChain() {
        return new MockFilterChain() {
            @Override
            public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res)
                    throws java.io.IOException {
                positions.events.add("handler");
                HttpServletResponse r = (HttpServletResponse) res;
                r.setStatus(303);
                r.setHeader("Location", "/notes/1");
                r.flushBuffer();
            }
        };
    }

    @Test
    void aPostAnswersWithThePositionOfItsWritesAlthoughTheHandlerCommittedTheAnswer() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(new MockHttpServletRequest("POST", "/notes"), response, redirectingChain());
        assertThat(response.getStatus()).isEqualTo(303);
        assertThat(response.getHeader("Location")).isEqualTo("/notes/1");
        assertThat(response.getHeader(PositionHeaderFilter.HEADER)).isEqualTo("0/3000148");
        assertThat(positions.events).containsExactly("handler", "writePosition");
    }

    @Test
    void aGetWithAPositionReadsInsideTheScopeAndAnswersWithout() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/notes/1");
        request.addHeader(PositionHeaderFilter.HEADER, " 0/3000148 ");
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(request, response, redirectingChain());
        assertThat(positions.events).containsExactly("open 0/3000148", "handler", "close 0/3000148");
        assertThat(response.getHeader(PositionHeaderFilter.HEADER)).isNull();
    }

    @Test
    void noPositionNoScopeAndNoHeaderWhenThereIsNothingToHandOut() throws Exception {
        positions.position = null;
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(new MockHttpServletRequest("POST", "/notes"), response, redirectingChain());
        assertThat(positions.events).containsExactly("handler", "writePosition");
        assertThat(response.containsHeader(PositionHeaderFilter.HEADER)).isFalse();
    }

    @Test
    void aMalformedPositionIsABadRequestNamingTheHeader() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/notes/1");
        request.addHeader(PositionHeaderFilter.HEADER, "yesterday");
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(request, response, redirectingChain());
        assertThat(response.getStatus()).isEqualTo(400);
        assertThat(response.getErrorMessage()).contains(PositionHeaderFilter.HEADER).contains("yesterday");
        assertThat(positions.events).isEmpty();
    }

    @Test
    void theBodyOfAWriteReachesTheClient() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(new MockHttpServletRequest("PUT", "/notes/1"), response, new MockFilterChain() {
            @Override
            public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res)
                    throws java.io.IOException {
                res.getWriter().write("{\"id\":1}");
                res.flushBuffer();
            }
        });
        assertThat(response.getContentAsString()).isEqualTo("{\"id\":1}");
        assertThat(response.getHeader(PositionHeaderFilter.HEADER)).isEqualTo("0/3000148");
    }

    /** The shape of pgcluster's token API: a position, and a thread-scoped AutoCloseable whose close throws nothing. */
    private static final class TokenApi {
        final List<String> calls = new ArrayList<>();

        String writePosition() {
            return "0/16B3748";
        }

        Closing readAtLeast(String position) {
            calls.add("readAtLeast " + position);
            return new Closing();
        }

        final class Closing implements AutoCloseable {
            @Override
            public void close() {
                calls.add("close");
            }
        }
    }

    @Test
    void theOneLineBindingOfReadPositionsConfigurationFitsTheTokenApi() {
        TokenApi dataSource = new TokenApi();
        ReadPositions bound = ReadPositions.of(dataSource::writePosition, p -> dataSource.readAtLeast(p)::close);
        try (ReadPositions.Scope scope = bound.readAtLeast("0/1")) {
            assertThat(bound.writePosition()).isEqualTo("0/16B3748");
        }
        assertThat(dataSource.calls).containsExactly("readAtLeast 0/1", "close");
    }
}
