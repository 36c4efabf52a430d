package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NodePoolersTest {

    @Test
    void proxyAddressGoesIntoThePostgresqlSectionOfPatroniYaml() {
        ClusterSpec spec = PatroniCluster.builder().scope("demo").poolerPerNode().spec();
        String y = Configs.patroniYaml(spec, "pg2", 5442, 5442, 8009, 2379, Path.of("/tmp/x/pg2/data"),
                Path.of("/tmp/x/pg2/pgpass"), Path.of("/usr/lib/postgresql/15/bin"), new Secrets());

        String with = NodePoolers.withProxyAddress(y, 6442);

        // the REST API's connect_address comes first in the file: it must not get the pooler's address
        assertThat(with).contains("  listen: 127.0.0.1:5442\n  connect_address: 127.0.0.1:5442\n"
                + "  proxy_address: 127.0.0.1:6442\n");
        assertThat(with.split("proxy_address", -1)).hasSize(2);
        assertThat(with.replace("  proxy_address: 127.0.0.1:6442\n", "")).isEqualTo(y);
        assertThatThrownBy(() -> NodePoolers.withProxyAddress("restapi:\n  connect_address: x\n", 1))
                .isInstanceOf(TestkitException.class).hasMessageContaining("connect_address");
    }

    @Test
    void eachNodesPgBouncerPoolsTransactionsToThatNodeOnly() {
        String ini = Configs.pgbouncerIni("the PgBouncer next to pg1", 6441, 5441, Path.of("/x/userlist.txt"),
                "transaction", NodePoolers.POOL_SIZE, NodePoolers.QUERY_WAIT_TIMEOUT_SECONDS);

        assertThat(ini).contains("* = host=127.0.0.1 port=5441\n", "listen_port = 6441\n",
                "pool_mode = transaction\n", "default_pool_size = " + NodePoolers.POOL_SIZE + "\n",
                "query_wait_timeout = 10\n", "auth_type = scram-sha-256\n",
                "ignore_startup_parameters = extra_float_digits\n");
        assertThat(Configs.pgbouncerIni("write", 6432, 5000, Path.of("/x/userlist.txt")))
                .as("the pair stays as it was").contains("pool_mode = session\n", "default_pool_size = 20\n",
                        "query_wait_timeout = 30\n", "* = host=127.0.0.1 port=5000\n");
    }

    @Test
    void theSpecAndItsAnnotationCarryTheOption() {
        assertThat(PatroniCluster.builder().spec().poolerPerNode).isFalse();
        assertThat(PatroniCluster.builder().poolerPerNode().spec()).isNotEqualTo(PatroniCluster.builder().spec());
        assertThat(ClusterSpec.of(Annotated.class.getAnnotation(ClusterConfig.class)).poolerPerNode).isTrue();
    }

    @ClusterConfig(poolerPerNode = true)
    private static final class Annotated {
    }
}
