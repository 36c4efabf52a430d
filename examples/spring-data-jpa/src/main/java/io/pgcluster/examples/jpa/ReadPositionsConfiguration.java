package io.pgcluster.examples.jpa;

import io.pgcluster.jdbc.PgClusterDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Binds {@link ReadPositions} to pgcluster's data source for {@link PositionHeaderFilter}. */
@Configuration(proxyBeanMethods = false)
class ReadPositionsConfiguration {

    /**
     * pgcluster's read-your-writes token, for flows that cross services: {@code writePosition()} after this
     * application's writes, {@code readAtLeast(position)} for a request that carries one. Reads within this
     * application need neither: pgcluster keeps its own reads after writes fresh ({@code readYourWrites=jvm}).
     */
    @Bean
    ReadPositions readPositions(PgClusterDataSource dataSource) {
        return ReadPositions.of(dataSource::writePosition, p -> dataSource.readAtLeast(p)::close);
    }
}
