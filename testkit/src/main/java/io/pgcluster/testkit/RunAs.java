package io.pgcluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides which OS user runs the servers and builds their command lines. As root (CI), PostgreSQL and PgBouncer refuse
 * to run, so everything runs as {@link Setting#RUN_AS_USER} through {@code setpriv}; otherwise as the current user.
 * Both {@code setpriv} and {@code env} exec, so {@link Process#pid()} is the server's own PID.
 */
final class RunAs {
    static final String PATH = "/usr/bin:/bin";

    private final boolean root;
    private final String user;

    private RunAs(boolean root, String user) {
        this.root = root;
        this.user = user;
    }

    static RunAs detect() {
        boolean root = currentUid() == 0;
        String user = root ? Setting.RUN_AS_USER.value() : System.getProperty("user.name");
        if (root) {
            int code = run(List.of("id", "-u", user));
            if (code != 0) {
                throw new TestkitException("The JVM runs as root, so the servers must run as another user, but user '" + user
                        + "' does not exist. Install postgresql (it creates 'postgres') or set -D"
                        + Setting.RUN_AS_USER.property() + "=<user>.");
            }
        }
        return new RunAs(root, user);
    }

    private static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
        }
    }

    boolean isRoot() {
        return root;
    }

    String user() {
        return user;
    }

    /** The command prefixed so that it runs as {@link #user()} with a clean environment. */
    List<String> wrap(List<String> command, Path home) {
        List<String> c = new ArrayList<>();
        if (root) {
            c.add("setpriv");
            c.add("--reuid=" + user);
            c.add("--regid=" + primaryGroup());
            c.add("--init-groups");
        }
        c.add("env");
        c.add("-i");
        c.add("HOME=" + home);
        c.add("PATH=" + PATH);
        c.add("LANG=C.UTF-8");
        c.addAll(command);
        return c;
    }

    private String primaryGroup() {
        // "--regid" takes a group; the user's login group is what PostgreSQL's packaging uses.
        try {
            Process p = new ProcessBuilder("id", "-g", user).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty()) {
                return out;
            }
            throw new TestkitException("id -g " + user + " failed: " + out);
        } catch (IOException e) {
            throw new TestkitException("id -g " + user + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while running id -g " + user, e);
        }
    }

    /** Hands a folder tree to the server user (no-op unless root), and checks that the user can use it. */
    void own(Path dir) {
        if (!root) {
            return;
        }
        int code = run(List.of("chown", "-R", user + ":", dir.toString()));
        if (code != 0) {
            throw new TestkitException("chown -R " + user + ": " + dir + " failed with exit code " + code);
        }
        int access = run(wrap(List.of("test", "-w", dir.toString(), "-a", "-x", dir.toString()), dir));
        if (access != 0) {
            throw new TestkitException("User " + user + " cannot use " + dir + ": every parent folder must be "
                    + "traversable by it (o+x). Choose another folder with -D" + Setting.TMP_DIR.property() + "=...");
        }
    }

    static int run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TestkitException("Timed out after 30 s running " + String.join(" ", command));
            }
            return p.exitValue();
        } catch (IOException e) {
            throw new TestkitException("Cannot run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while running " + String.join(" ", command), e);
        }
    }
}
