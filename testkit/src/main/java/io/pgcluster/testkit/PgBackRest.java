package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgBackRest for a running {@link PatroniCluster}: an S3 repository ({@link S3Server}), WAL archiving from the
 * leader, full and incremental backups, and a point-in-time-recovery drill that removes the cluster from the DCS and
 * has Patroni recreate it from the repository.
 *
 * <pre>{@code
 * try (PgBackRest backups = PgBackRest.start(cluster)) {
 *     backups.configureArchiving();          // PATCH /config archive_mode/archive_command, restart, stanza-create, check
 *     backups.backup("full");
 *     String target = backups.restorePoint(); // an LSN after a commit
 *     ...write more...
 *     backups.restoreTo(target, Duration.ofMinutes(2));
 * }
 * }</pre>
 *
 * <p>One config file, {@code <cluster>/backup/pgbackrest.conf}, mode 0600 and owned by the server user (it holds the
 * S3 keys, which pgBackRest refuses on its command line): the repository in {@code [global]}, the stanza (named
 * after the scope) with pg1 = node pg1. Every node is local, so commands name the node they act on with
 * {@code --pg1-path}/{@code --pg1-port}, and the archive command passes {@code --pg1-path="$PWD"} (PostgreSQL runs it
 * in its data directory). pgBackRest reaches PostgreSQL over TCP: the rig turns unix sockets off, so its commands
 * run with {@code PGHOST=127.0.0.1} and a pgpass file of the superuser.
 *
 * <p>Thread-safety: one operation at a time; not for concurrent use.
 */
public final class PgBackRest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PgBackRest.class);
    /** The method name under {@code bootstrap:} in patroni.yml that restores from the repository. */
    static final String BOOTSTRAP_METHOD = "pgbackrest_pitr";

    private final PatroniCluster cluster;
    private final ClusterParts parts;
    private final S3Server s3;
    private final Path dir;
    private final Path conf;
    private final Path pgpass;
    private final Path pgbackrest;
    private final String stanza;

    private PgBackRest(PatroniCluster cluster, S3Server s3, Path dir, Path conf, Path pgpass, Path pgbackrest) {
        this.cluster = cluster;
        this.parts = cluster.parts();
        this.s3 = s3;
        this.dir = dir;
        this.conf = conf;
        this.pgpass = pgpass;
        this.pgbackrest = pgbackrest;
        this.stanza = parts.spec.scope;
    }

    /**
     * Starts an S3 server for the cluster and writes pgBackRest's config ({@code <cluster>/backup/}). Nothing is
     * archived or backed up yet: see {@link #configureArchiving()}.
     */
    public static PgBackRest start(PatroniCluster cluster) {
        cluster.ensureOpen();
        ClusterParts parts = cluster.parts();
        Path pgbackrest = Setting.PGBACKREST.executable();
        Path dir = parts.baseDir.resolve("backup");
        S3Server s3 = S3Server.create(dir.resolve("s3"), parts.runAs, parts.registry, parts.baseDir.resolve("home"));
        try {
            for (String sub : List.of("log", "lock", "spool")) {
                Files.createDirectories(dir.resolve(sub));
            }
            Path conf = dir.resolve("pgbackrest.conf");
            Files.writeString(conf, config(s3.port(), s3.accessKey(), s3.secretKey(), s3.caFile(), dir,
                    parts.spec.scope, parts.nodes.get(0).dataDir()),
                    StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
            Path pgpass = dir.resolve("pgpass");
            Files.writeString(pgpass, PatroniCluster.HOST + ":*:*:" + Secrets.SUPERUSER + ":"
                    + parts.secrets.superuserPassword + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
            parts.runAs.own(dir);
            s3.start();
            return new PgBackRest(cluster, s3, dir, conf, pgpass, pgbackrest);
        } catch (IOException e) {
            s3.stop();
            throw new TestkitException("Cannot write pgBackRest's files in " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            s3.stop();
            throw e;
        }
    }

    /**
     * pgbackrest.conf: the S3 repository (path-style, TLS verified against the S3 server's CA, keys here only) and
     * the stanza. {@code docs/deploy/pgbackrest.conf} is the production form of the same file.
     */
    static String config(int s3Port, String accessKey, String secretKey, Path caFile, Path dir, String stanza,
            Path pg1Path) {
        return String.join("\n",
                "# Generated by pgcluster-testkit (PgBackRest). Holds the S3 keys: mode 0600, owned by postgres.",
                "[global]",
                "repo1-type=s3",
                "repo1-path=/repo",
                "repo1-s3-bucket=" + S3Server.BUCKET,
                "repo1-s3-endpoint=" + S3Server.HOST,
                "repo1-storage-port=" + s3Port,
                "repo1-s3-region=us-east-1",
                "repo1-s3-uri-style=path",
                "repo1-s3-key=" + accessKey,
                "repo1-s3-key-secret=" + secretKey,
                "repo1-storage-ca-file=" + caFile,
                "repo1-retention-full=2",
                "start-fast=y",
                "compress-type=lz4",
                "process-max=2",
                "log-path=" + dir.resolve("log"),
                "lock-path=" + dir.resolve("lock"),
                "spool-path=" + dir.resolve("spool"),
                "log-level-file=detail",
                "",
                "[" + stanza + "]",
                "pg1-path=" + pg1Path,
                "");
    }

    /** The archive_command Patroni gives PostgreSQL (the same on every member; only the leader archives). */
    String archiveCommand() {
        return pgbackrest + " --config=" + conf + " --stanza=" + stanza + " --pg1-path=\"$PWD\" archive-push \"%p\"";
    }

    /** The restore_command of a member whose data directory is {@code dataDir}. */
    String restoreCommand(Path dataDir) {
        return pgbackrest + " --config=" + conf + " --stanza=" + stanza + " --pg1-path=" + dataDir
                + " archive-get %f \"%p\"";
    }

    /**
     * Turns WAL archiving on the way a Patroni user does: {@code archive_mode} and {@code archive_command} in the
     * dynamic configuration's {@code postgresql.parameters} ({@code PATCH /config}), then a restart of every member
     * ({@code archive_mode} needs one: replicas first, then the leader, each {@code POST /restart}), then
     * {@code stanza-create} and {@code check} (which switches WAL and waits until it is archived).
     *
     * @return how long it took
     */
    public Duration configureArchiving() {
        long t0 = System.nanoTime();
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("archive_mode", "on");
        parameters.put("archive_command", archiveCommand());
        Map<String, Object> postgresql = new LinkedHashMap<>();
        postgresql.put("parameters", parameters);
        cluster.setDynamicConfig(Map.of("postgresql", postgresql));
        PatroniNode leader = cluster.leader();
        List<PatroniNode> order = new ArrayList<>(cluster.replicas());
        order.add(leader);
        for (PatroniNode n : order) {
            restartPostgres(n);
        }
        cluster.awaitHealthy(Duration.ofSeconds(90));
        PatroniNode now = cluster.leader();
        run("stanza-create", pgOptions(now), Duration.ofSeconds(60));
        run("check", pgOptions(now), Duration.ofSeconds(60));
        log.info("archiving on (stanza {}) in {}", stanza, Await.millisSince(t0));
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private void restartPostgres(PatroniNode n) {
        Await.until("POST /restart on " + n.name(), Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
            PatroniRest.Response r = parts.rest.send("POST", n.restUrl() + "/restart", "{}", Duration.ofSeconds(45));
            if (!r.ok()) {
                throw new Await.NotYet(n.name() + ": " + r);
            }
            return Boolean.TRUE;
        });
        Await.until("archive_mode on in " + n.name(), Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
            try (Connection c = parts.connectSuperuser(n)) {
                String v = Sql.scalar(c, "SHOW archive_mode");
                if (!"on".equals(v)) {
                    throw new Await.NotYet(n.name() + " archive_mode=" + v);
                }
                return Boolean.TRUE;
            }
        });
    }

    /**
     * Takes a backup of the leader.
     *
     * @param type {@code full}, {@code diff} or {@code incr}
     * @return how long pgBackRest took
     */
    public Duration backup(String type) {
        if (!List.of("full", "diff", "incr").contains(type)) {
            throw new IllegalArgumentException("backup type must be full, diff or incr, not " + type);
        }
        long t0 = System.nanoTime();
        List<String> args = new ArrayList<>(pgOptions(cluster.leader()));
        args.add("--type=" + type);
        run("backup", args, Duration.ofMinutes(5));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        log.info("{} backup of stanza {} in {}", type, stanza, Await.format(took));
        return took;
    }

    /** {@code pgbackrest info --output=json}: the stanza, its backups and the archived WAL range. */
    public String info() {
        return run("info", List.of("--output=json"), Duration.ofSeconds(60));
    }

    /**
     * A recovery target: the leader's current WAL insert position, read after everything written so far committed.
     * Restoring to it ({@link #restoreTo}) keeps exactly the transactions that committed before this call.
     *
     * @return an LSN such as {@code 0/3000148}
     */
    public String restorePoint() {
        try (Connection c = parts.connectSuperuser(cluster.leader())) {
            return Sql.scalar(c, "SELECT pg_current_wal_insert_lsn()");
        } catch (SQLException e) {
            throw new TestkitException("Cannot read the leader's WAL position: " + e.getMessage(), e);
        }
    }

    /**
     * Switches the leader to a new WAL file and waits until pgBackRest has archived the one it closed: what a
     * restore to a target written before this call needs.
     *
     * @return the archive lag: from the switch until {@code pg_stat_archiver} shows the file archived
     */
    public Duration awaitArchived(Duration timeout) {
        PatroniNode leader = cluster.leader();
        try (Connection c = parts.connectSuperuser(leader)) {
            long t0 = System.nanoTime();
            // the file that holds everything written so far; pg_switch_wal() closes it
            String wal = Sql.scalar(c, "SELECT pg_walfile_name(pg_current_wal_lsn())");
            Sql.scalar(c, "SELECT pg_switch_wal()");
            Await.until("WAL file " + wal + " archived from " + leader.name(), timeout, Duration.ofMillis(50), () -> {
                String last = Sql.scalar(c, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
                // names of one timeline sort in WAL order; a later timeline's file sorts after it too
                if (last.compareTo(wal) < 0) {
                    throw new Await.NotYet("last archived: " + (last.isEmpty() ? "none" : last));
                }
                return Boolean.TRUE;
            });
            Duration lag = Duration.ofNanos(System.nanoTime() - t0);
            log.info("{} archived {} after {}", leader.name(), wal, Await.format(lag));
            return lag;
        } catch (SQLException e) {
            throw new TestkitException("Cannot switch WAL on " + leader.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The point-in-time-recovery drill, as Patroni documents it ({@link ClusterRebuild}): stop every member, remove
     * the cluster from the DCS ({@code patronictl remove}), empty every data directory, give every member a
     * {@code bootstrap.method} that restores from the repository up to {@code targetLsn} (then promotes) and
     * {@code create_replica_methods: [pgbackrest, basebackup]}, and start them all. One member wins the DCS's
     * {@code initialize} key and restores; the others create their replicas from the repository and stream from it.
     * Returns once the cluster is healthy.
     *
     * <p>Call {@link #awaitArchived} first: recovery reads WAL from the repository only.
     *
     * @param targetLsn from {@link #restorePoint()}: transactions that committed before it are kept, later ones not
     */
    public ClusterRebuild.Timings restoreTo(String targetLsn, Duration timeout) {
        cluster.ensureOpen();
        return ClusterRebuild.run(cluster, parts, "restoring from pgBackRest to LSN " + targetLsn,
                (n, yml) -> Configs.withPgBackRestRestore(yml, pgBackRestSections(n.dataDir(), targetLsn)),
                timeout);
    }

    /** The pieces of one member's patroni.yml that restore from the repository. */
    Configs.PgBackRestRestore pgBackRestSections(Path dataDir, String targetLsn) {
        String base = pgbackrest + " --config=" + conf + " --stanza=" + stanza + " --pg1-path=" + dataDir;
        return new Configs.PgBackRestRestore(BOOTSTRAP_METHOD,
                base + " --type=none restore",
                base + " --delta --type=standby restore",
                restoreCommand(dataDir), targetLsn, archiveCommand());
    }

    /** Runs a pgBackRest command as the server user; returns its output, or throws with it. */
    private String run(String command, List<String> options, Duration timeout) {
        List<String> c = new ArrayList<>();
        // pgBackRest connects through libpq, which reads these: TCP (sockets are off) and the superuser's password
        c.add("PGHOST=" + PatroniCluster.HOST);
        c.add("PGPASSFILE=" + pgpass);
        c.add(pgbackrest.toString());
        c.add("--config=" + conf);
        c.add("--stanza=" + stanza);
        c.addAll(options);
        c.add(command);
        return ClusterRebuild.exec(parts.runAs.wrap(c, parts.baseDir.resolve("home")), null, timeout,
                "pgbackrest " + command, dir);
    }

    private static List<String> pgOptions(PatroniNode n) {
        return List.of("--pg1-path=" + n.dataDir(), "--pg1-port=" + n.pgPort());
    }

    /** The S3 server holding the repository. */
    public S3Server s3() {
        return s3;
    }

    /** The config file (mode 0600, owned by the server user). */
    public Path configFile() {
        return conf;
    }

    /** The stanza: the cluster's scope. */
    public String stanza() {
        return stanza;
    }

    /** Stops the S3 server; the cluster keeps running (archiving then fails until the next start). */
    @Override
    public void close() {
        s3.stop();
    }
}
