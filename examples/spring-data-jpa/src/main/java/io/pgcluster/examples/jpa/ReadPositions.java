package io.pgcluster.examples.jpa;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@link PositionHeaderFilter} needs of pgcluster's read-your-writes token: the WAL position that covers this
 * application's writes, and a scope in which reads are served only by a member that has replayed a given position.
 * An interface of the example rather than pgcluster's own type, so that the filter can be tested without a cluster;
 * {@link ReadPositionsConfiguration} binds it to the data source.
 *
 * <p>Implementations are safe for concurrent use; a {@link Scope} belongs to the thread that opened it.
 */
public interface ReadPositions {

    /**
     * Read positions from two functions, e.g. {@code of(dataSource::writePosition,
     * p -> dataSource.readAtLeast(p)::close)}.
     *
     * @param writePosition what {@link #writePosition()} returns
     * @param readAtLeast what {@link #readAtLeast(String)} returns
     * @return the two as one
     */
    static ReadPositions of(Supplier<String> writePosition, Function<String, Scope> readAtLeast) {
        return new ReadPositions() {
            @Override
            public String writePosition() {
                return writePosition.get();
            }

            @Override
            public Scope readAtLeast(String position) {
                return readAtLeast.apply(position);
            }
        };
    }

    /**
     * A position at least as recent as the writes this application committed so far.
     *
     * @return a PostgreSQL LSN ({@code 0/3000148}), or {@code null} when there is none to give
     */
    String writePosition();

    /**
     * Until the scope is closed, reads of the calling thread run only where {@code position} has been replayed.
     *
     * @param position a value {@link #writePosition()} returned, possibly in another process
     * @return the scope, to close when the request is done
     */
    Scope readAtLeast(String position);

    /** A scope of {@link #readAtLeast}; closing it cannot fail. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
