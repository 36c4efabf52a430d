package io.pgcluster.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Every knob of the rig that is read from the environment: a system property, else an environment variable, else the
 * Debian default. One catalog feeds the lookups, the error messages and docs/testing.md.
 */
enum Setting {
    PG_BIN_DIR("pgcluster.testkit.pgBinDir", "PGCLUSTER_PG_BIN_DIR", "/usr/lib/postgresql/15/bin",
            "directory with PostgreSQL 15's postgres, initdb, pg_ctl, pg_basebackup, pg_rewind and psql"),
    PATRONI("pgcluster.testkit.patroni", "PGCLUSTER_PATRONI", "/usr/bin/patroni", "the patroni script"),
    PATRONICTL("pgcluster.testkit.patronictl", "PGCLUSTER_PATRONICTL", "/usr/bin/patronictl",
            "the patronictl script (printed in rig.env for manual use)"),
    PYTHON("pgcluster.testkit.python", "PGCLUSTER_PYTHON", "/usr/bin/python3",
            "the Python that runs Patroni; needs psycopg2 and python3-etcd (Debian's python3 has them)"),
    ETCD("pgcluster.testkit.etcd", "PGCLUSTER_ETCD", "/usr/bin/etcd", "the etcd server (v3 API)"),
    PATRONI_VERSION("pgcluster.testkit.patroniVersion", "PGCLUSTER_PATRONI_VERSION", "3",
            "the Patroni major version of clusters that do not choose one: 3 (Debian 12's, at patroni) or 4 (the one "
                    + "scripts/setup.sh unpacks, at patroni4Root)"),
    PATRONI4_ROOT("pgcluster.testkit.patroni4Root", "PGCLUSTER_PATRONI4_ROOT", "/opt/pgcluster/patroni4",
            "where scripts/setup.sh unpacked Debian 13's patroni package (Patroni 4; run with python from "
                    + "usr/lib/python3/dist-packages)"),
    CONSUL("pgcluster.testkit.consul", "PGCLUSTER_CONSUL", "/opt/pgcluster/consul/usr/bin/consul",
            "the Consul agent that scripts/setup.sh unpacks from Debian 11 (clusters with Dcs.CONSUL only)"),
    JAVA("pgcluster.testkit.java", "PGCLUSTER_JAVA", "/usr/bin/java",
            "the java that runs ZooKeeper (clusters with Dcs.ZOOKEEPER only)"),
    ZOOKEEPER_JAR("pgcluster.testkit.zookeeperJar", "PGCLUSTER_ZOOKEEPER_JAR", "/usr/share/java/zookeeper.jar",
            "ZooKeeper's server jar from Debian's zookeeper package (clusters with Dcs.ZOOKEEPER only)"),
    S3PROXY_JAR("pgcluster.testkit.s3proxyJar", "PGCLUSTER_S3PROXY_JAR", "target/s3proxy/s3proxy.jar",
            "s3proxy's jar-with-dependencies, the S3 server for pgBackRest (S3Server); the build copies it there "
                    + "(maven-dependency-plugin, execution s3proxy-jar; a relative path is the module's folder)"),
    PGBACKREST("pgcluster.testkit.pgbackrest", "PGCLUSTER_PGBACKREST", "/usr/bin/pgbackrest",
            "pgBackRest 2.45 (backups and point-in-time recovery, PgBackRest)"),
    PGBOUNCER("pgcluster.testkit.pgbouncer", "PGCLUSTER_PGBOUNCER", "/usr/sbin/pgbouncer", "the PgBouncer binary"),
    HAPROXY("pgcluster.testkit.haproxy", "PGCLUSTER_HAPROXY", "/usr/sbin/haproxy", "the HAProxy binary"),
    PROMETHEUS("pgcluster.testkit.prometheus", "PGCLUSTER_PROMETHEUS", "/usr/bin/prometheus",
            "Prometheus 2.42 (clusters with withMonitoring only)"),
    POSTGRES_EXPORTER("pgcluster.testkit.postgresExporter", "PGCLUSTER_POSTGRES_EXPORTER",
            "/usr/bin/prometheus-postgres-exporter", "Debian's postgres_exporter (clusters with withMonitoring only)"),
    PGBOUNCER_EXPORTER("pgcluster.testkit.pgbouncerExporter", "PGCLUSTER_PGBOUNCER_EXPORTER",
            "/usr/bin/prometheus-pgbouncer-exporter", "Debian's pgbouncer_exporter, run with the python setting "
                    + "through the kit's compatibility wrapper (clusters with withMonitoring only)"),
    RUN_AS_USER("pgcluster.testkit.runAsUser", "PGCLUSTER_RUN_AS_USER", "postgres",
            "OS user that runs the servers when the JVM runs as root (ignored otherwise)"),
    TMP_DIR("pgcluster.testkit.tmpDir", "PGCLUSTER_TMP_DIR", System.getProperty("java.io.tmpdir"),
            "parent of the per-cluster folders pgcluster-testkit-*"),
    KEEP_DIR("pgcluster.testkit.keepDir", "PGCLUSTER_KEEP_DIR", "false",
            "true: keep the cluster folder (configs, logs, data) after close, for post-mortems");

    private final String property;
    private final String envVar;
    private final String defaultValue;
    private final String description;

    Setting(String property, String envVar, String defaultValue, String description) {
        this.property = property;
        this.envVar = envVar;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    String property() {
        return property;
    }

    String envVar() {
        return envVar;
    }

    String defaultValue() {
        return defaultValue;
    }

    String description() {
        return description;
    }

    /** The value from system properties, else the environment, else the default. */
    String value() {
        return value(System::getProperty, System::getenv);
    }

    String value(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String v = properties.apply(property);
        if (v == null || v.isBlank()) {
            v = environment.apply(envVar);
        }
        return v == null || v.isBlank() ? defaultValue : v.trim();
    }

    boolean isTrue() {
        return Boolean.parseBoolean(value());
    }

    /**
     * The value as a path to an executable file (a directory for {@link #PG_BIN_DIR}, a readable file for
     * {@link #ZOOKEEPER_JAR}); fails if it is missing.
     */
    Path executable() {
        Path p = Path.of(value());
        boolean ok = this == PG_BIN_DIR || this == PATRONI4_ROOT ? Files.isDirectory(p)
                : this == ZOOKEEPER_JAR || this == S3PROXY_JAR ? Files.isRegularFile(p) && Files.isReadable(p)
                : Files.isRegularFile(p) && Files.isExecutable(p);
        if (!ok) {
            throw new TestkitException(String.format(
                    "%s not found at %s (%s). Install the Debian package (scripts/setup.sh) or point -D%s=... / %s=... at it.",
                    description, p, this == PG_BIN_DIR || this == PATRONI4_ROOT ? "not a directory"
                            : this == ZOOKEEPER_JAR || this == S3PROXY_JAR ? "missing or not readable" : "missing or not executable",
                    property, envVar));
        }
        return p;
    }

    /**
     * {@link #PATRONI_VERSION} as a number.
     *
     * @throws TestkitException naming the setting if it is neither 3 nor 4
     */
    int patroniVersion() {
        String v = value();
        if (!v.equals("3") && !v.equals("4")) {
            throw new TestkitException(String.format("-D%s / %s must be 3 or 4 but was '%s'", property, envVar, v));
        }
        return Integer.parseInt(v);
    }

    /** {@code <pgBinDir>/<tool>}, checked. */
    static Path pgTool(String tool) {
        Path p = PG_BIN_DIR.executable().resolve(tool);
        if (!Files.isExecutable(p)) {
            throw new TestkitException(String.format("%s not found in %s; set -D%s=... / %s=... to PostgreSQL 15's bin dir",
                    tool, p.getParent(), PG_BIN_DIR.property, PG_BIN_DIR.envVar));
        }
        return p;
    }
}
