package io.pgcluster.benchmarks.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.List;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class LoadTest {

    private static final int OWN = 5435;

    /** A client that answers at once: writes on the primary, reads on a replica, and finds only odd rows. */
    private static final class Fake implements Client {
        @Override
        public Where write(long id) throws SQLException {
            if (id % 5 == 0) {
                throw new SQLException("lost", "08006");
            }
            return new Where(5432, false);
        }

        @Override
        public Where read() {
            return new Where(5433, true);
        }

        @Override
        public Where readAutoCommit() {
            return new Where(5434, true);
        }

        @Override
        public Where findOwn(long id) {
            return new Where(OWN, true, id % 2 == 1);
        }

        @Override
        public DataSource autoCommitSource() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    private static List<Op> run(Workload w) throws InterruptedException {
        long from = System.nanoTime();
        try (Load load = new Load(new Fake(), w, 1, 1, 0)) {
            // until both threads have done some steps: the reader may start well after the writer
            List<Op> seen;
            do {
                Thread.sleep(5);
                seen = load.between(from, System.nanoTime() + 1);
            } while (count(seen, o -> o.write() && o.ok()) < 50 || count(seen, o -> !o.write()) < 50
                    + count(seen, o -> o.port() == OWN));
            load.close();
            return load.between(from, System.nanoTime() + 1);
        }
    }

    private static long count(List<Op> ops, Predicate<Op> p) {
        return ops.stream().filter(p).count();
    }

    @Test
    void jpaWritersReadTheirOwnRowAfterEachSuccessfulWriteAndReadersAlternate() throws Exception {
        List<Op> ops = run(Workload.JPA);
        long writesOk = count(ops, o -> o.write() && o.ok());
        long ownReads = count(ops, o -> o.port() == OWN);
        assertThat(count(ops, o -> o.write() && !o.ok())).as("every fifth write fails").isPositive();
        // one auto-commit read of its row per successful write (the last one may have been cut off by close)
        assertThat(ownReads).isBetween(writesOk - 1, writesOk);
        assertThat(count(ops, o -> o.port() == OWN && !(o.autoCommit() && !o.write()))).isZero();
        assertThat(count(ops, Op::stale)).as("the even rows: stale").isPositive().isLessThan(ownReads)
                .isEqualTo(count(ops, o -> o.port() == OWN && o.stale()));
        assertThat(count(ops, o -> !o.write() && !o.autoCommit())).as("read-only transactions").isPositive();
        assertThat(count(ops, o -> !o.write() && o.autoCommit() && o.port() != OWN))
                .as("the readers' auto-commit reads").isPositive();
    }

    @Test
    void autoCommitReadersSendNoReadOnlyTransactionAndTxReadersNoAutoCommitRead() throws Exception {
        List<Op> ac = run(Workload.AUTOCOMMIT);
        assertThat(count(ac, o -> !o.write() && !o.autoCommit())).isZero();
        assertThat(count(ac, o -> !o.write() && o.autoCommit())).isPositive();
        assertThat(count(ac, Op::stale)).isZero();
        List<Op> tx = run(Workload.TX);
        assertThat(count(tx, Op::autoCommit)).isZero();
        assertThat(count(tx, o -> !o.write())).isPositive();
    }

    @Test
    void workloadsParseByKey() {
        assertThat(FailoverHarness.Settings.parse(new String[] {"--workload", "jpa"}).workload).isEqualTo(Workload.JPA);
        assertThat(FailoverHarness.Settings.parse(new String[0]).workload).isEqualTo(Workload.TX);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Workload.forKey("hibernate"))
                .hasMessageContaining("tx, autocommit, jpa");
    }
}
