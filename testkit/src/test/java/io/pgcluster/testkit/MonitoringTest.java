package io.pgcluster.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files and command lines of {@link Monitoring} and the rig's local WAL archive; servers are the ITs' part. */
class MonitoringTest {
    private static ClusterSpec spec(boolean monitoring) {
        return PatroniCluster.builder().scope("demo").withMonitoring(monitoring).spec();
    }

    @Test
    void monitoringImpliesPgBouncerHaProxyAndTheWalArchive() {
        ClusterSpec s = spec(true);
        assertThat(s.pgBouncer).isTrue();
        assertThat(s.haProxy).isTrue();
        assertThat(s.localWalArchive).isTrue();
        assertThat(s).isNotEqualTo(spec(false));
        assertThat(s.toString()).contains("local WAL archive", "monitoring");
        ClusterSpec archiveOnly = PatroniCluster.builder().scope("demo").localWalArchive(true).spec();
        assertThat(archiveOnly.localWalArchive).isTrue();
        assertThat(archiveOnly.pgBouncer).isFalse();
    }

    @Test
    void theWalArchiveIsOnlyConfiguredWhenAsked() {
        Secrets secrets = new Secrets();
        Path data = Path.of("/tmp/x/pg1/data");
        String with = Configs.patroniYaml(spec(true), "pg1", 5432, 5432, 8008, 2379, data, Path.of("/tmp/x/pgpass"),
                Path.of("/usr/lib/postgresql/15/bin"), secrets);
        assertThat(with).contains("    archive_mode: 'on'\n",
                "    archive_command: 'test ! -f /tmp/x/wal-archive/%f && cp %p /tmp/x/wal-archive/%f'\n",
                "    archive_timeout: 60s\n");
        String without = Configs.patroniYaml(spec(false), "pg1", 5432, 5432, 8008, 2379, data,
                Path.of("/tmp/x/pgpass"), Path.of("/usr/lib/postgresql/15/bin"), secrets);
        assertThat(without).doesNotContain("archive");
    }

    @Test
    void haproxyServesItsPrometheusExporterInTheStatsSection() {
        String cfg = Configs.haproxyCfg(spec(true), 5000, 5001, 7000, List.of(new Configs.Backend("pg1", 5432, 8008)));
        assertThat(cfg).contains("listen stats\n    mode http\n    bind 127.0.0.1:7000\n    stats enable\n"
                + "    stats uri /\n    http-request use-service prometheus-exporter if { path /metrics }\n");
    }

    @Test
    void targetFilesAreFileSdYamlWithLabels(@TempDir Path dir) throws Exception {
        Monitoring.writeTargets(dir, "postgres.yml", List.of(
                new Monitoring.Target(List.of("127.0.0.1:9187"), Map.of("member", "pg1")),
                new Monitoring.Target(List.of("127.0.0.1:9188", "127.0.0.1:9189"), Map.of())));
        assertThat(Files.readString(dir.resolve("targets").resolve("postgres.yml"))).isEqualTo(
                "# Written by pgcluster-testkit.\n- targets: ['127.0.0.1:9187']\n  labels:\n    member: 'pg1'\n"
                        + "- targets: ['127.0.0.1:9188', '127.0.0.1:9189']\n");
        assertThat(dir.resolve("targets")).isDirectoryNotContaining("glob:**.tmp");
    }

    /**
     * With a PgBouncer per node, each gets an exporter too: fleet {@code node} and the node as {@code member}, next to
     * the central write and read fleets, in the one pgbouncer target file the dashboard and rules read.
     */
    @Test
    void eachNodesPgBouncerIsATargetOfTheNodeFleetWithItsMember(@TempDir Path dir) throws Exception {
        Map<String, Integer> nodes = new java.util.LinkedHashMap<>();
        nodes.put("pg1", 7001);
        nodes.put("pg2", 7002);
        List<Monitoring.Bouncer> bouncers = Monitoring.bouncers("demo", 6432, 6433, nodes);
        assertThat(bouncers).extracting(Monitoring.Bouncer::name, Monitoring.Bouncer::port).containsExactly(
                org.assertj.core.groups.Tuple.tuple("write", 6432), org.assertj.core.groups.Tuple.tuple("read", 6433),
                org.assertj.core.groups.Tuple.tuple("pg1-node", 7001),
                org.assertj.core.groups.Tuple.tuple("pg2-node", 7002));
        Monitoring.writeTargets(dir, "pgbouncer.yml", List.of(
                new Monitoring.Target(List.of("127.0.0.1:9127"), bouncers.get(0).labels()),
                new Monitoring.Target(List.of("127.0.0.1:9129"), bouncers.get(2).labels())));
        assertThat(Files.readString(dir.resolve("targets").resolve("pgbouncer.yml"))).isEqualTo(
                "# Written by pgcluster-testkit.\n"
                        + "- targets: ['127.0.0.1:9127']\n  labels:\n    cluster: 'demo'\n    pgbouncer: 'write'\n"
                        + "- targets: ['127.0.0.1:9129']\n  labels:\n    cluster: 'demo'\n    pgbouncer: 'node'\n"
                        + "    member: 'pg1'\n");
        assertThat(Monitoring.bouncers("demo", 6432, 6433, Map.of())).as("without poolerPerNode").hasSize(2);
    }

    /** Passwords go to files only the server user reads, never onto a command line (visible in ps). */
    @Test
    void exporterCommandsCarryNoPassword(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pw");
        Monitoring.writeSecret(secret, "s3cret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
        List<String> pg = Monitoring.postgresExporterCommand(Path.of("/usr/bin/prometheus-postgres-exporter"), 5432,
                9187, "app", secret);
        List<String> pgb = Monitoring.pgbouncerExporterCommand(Path.of("/usr/bin/python3"),
                dir.resolve("pgbouncer_exporter_compat.py"), 6432, 9127, "postgres", secret);
        assertThat(pg).contains("DATA_SOURCE_PASS_FILE=" + secret, "--web.listen-address=127.0.0.1:9187");
        assertThat(pgb).contains("PGPASSFILE=" + secret, "--port", "9127", "--pgbouncer-port", "6432");
        assertThat(String.join(" ", pg) + String.join(" ", pgb)).doesNotContain("s3cret");
        assertThat(Files.readString(Monitoring.writeCompatWrapper(dir))).contains("total_query_count",
                "cli.main()");
    }
}
