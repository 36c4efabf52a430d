package io.pgcluster.testkit;

import java.security.SecureRandom;

/** The random passwords of one cluster (letters and digits only, so they need no quoting anywhere). */
final class Secrets {
    static final String SUPERUSER = "postgres";
    static final String REPLICATION_USER = "replicator";
    static final String REWIND_USER = "rewinder";
    static final String APP_USER = "app";
    static final String APP_DATABASE = "app";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    final String superuserPassword = random(20);
    final String replicationPassword = random(20);
    final String rewindPassword = random(20);
    final String appPassword = random(20);

    static String random(int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }
}
