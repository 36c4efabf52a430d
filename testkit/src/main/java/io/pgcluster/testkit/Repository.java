package io.pgcluster.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The repository's checkout, for tests in any module that check files kept beside the code (docs, deploy
 * artifacts).
 *
 * <p>Thread-safety: stateless.
 */
public final class Repository {
    private Repository() {
    }

    /**
     * The repository's root (the directory holding {@code docs/} and {@code driver/}), found from Maven's
     * multi-module directory, the module's {@code basedir} (set by surefire), or the working directory (a module or
     * the root, as IDEs run tests).
     *
     * @throws TestkitException when none of them is in the repository
     */
    public static Path root() {
        List<Path> candidates = new ArrayList<>();
        String multiModule = System.getProperty("maven.multiModuleProjectDirectory");
        if (multiModule != null) {
            candidates.add(Paths.get(multiModule).toAbsolutePath());
        }
        String basedir = System.getProperty("basedir");
        if (basedir != null) {
            candidates.add(Paths.get(basedir).toAbsolutePath().getParent());
        }
        Path userDir = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
        candidates.add(userDir.getParent());
        candidates.add(userDir);
        for (Path root : candidates) {
            if (root != null && Files.isDirectory(root.resolve("docs")) && Files.isDirectory(root.resolve("driver"))) {
                return root;
            }
        }
        throw new TestkitException("the repository (docs/ and driver/) not found from " + candidates
                + "; run the test from the repository or one of its modules");
    }
}
