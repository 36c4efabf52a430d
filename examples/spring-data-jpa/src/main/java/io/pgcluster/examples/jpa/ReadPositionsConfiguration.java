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
     * driver yet; once it is, the body becomes:
     *
     * <pre>{@code
     * return new ReadPositions() {
     *     public String writePosition() { return dataSource.writePosition(); }
     *     public Scope readAtLeast(String position) { return dataSource.readAtLeast(position)::close; }
     * };
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
