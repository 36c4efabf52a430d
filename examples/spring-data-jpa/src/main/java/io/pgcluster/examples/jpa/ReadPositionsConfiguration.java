package io.pgcluster.examples.jpa;

import io.pgcluster.jdbc.PgClusterDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Binds {@link ReadPositions} to pgcluster's data source for {@link PositionHeaderFilter}. */
@Configuration(proxyBeanMethods = false)
class ReadPositionsConfiguration {

    /**
     * pgcluster's read-your-writes token, for flows that cross services. The token API
     * ({@code PgClusterDataSource.writePosition()} and {@code readAtLeast(String)}) is not in this version of the
     * driver yet; once it is, the body becomes the one line
     *
     * <pre>{@code
     * return ReadPositions.of(dataSource::writePosition, p -> dataSource.readAtLeast(p)::close);
     * }</pre>
     *
     * Until then the filter hands out no position and ignores the one it is given; reads within this application
     * are unaffected (pgcluster keeps its own reads after writes fresh).
     */
    @Bean
    ReadPositions readPositions(PgClusterDataSource dataSource) {
        return ReadPositions.NONE;
    }
}
