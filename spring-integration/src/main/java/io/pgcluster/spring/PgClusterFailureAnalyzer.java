package io.pgcluster.spring;

import io.pgcluster.jdbc.config.PgClusterConfigException;
import io.pgcluster.jdbc.config.PgClusterProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a pgcluster configuration error into Spring Boot's "APPLICATION FAILED TO START" report: what is wrong
 * (the driver's message, which names the setting and the value, passwords masked) and what to do, with the
 * setting's Spring property name, its allowed values and its default.
 */
final class PgClusterFailureAnalyzer extends AbstractFailureAnalyzer<PgClusterConfigException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PgClusterConfigException cause) {
        StringBuilder action = new StringBuilder();
        PgClusterProperty p = cause.property();
        if (p != null) {
            action.append("Fix '").append(PgClusterSettings.springName(p)).append("' (or '").append(p.key())
                    .append("' in spring.datasource.url): ").append(p.description());
            if (!p.choices().isEmpty()) {
                action.append(" Allowed values: ").append(String.join(", ", p.choices())).append('.');
            }
            if (!p.rangeDescription().isEmpty()) {
                action.append(" Range: ").append(p.rangeDescription()).append('.');
            }
            if (p.defaultValue() != null) {
                action.append(" Default: ").append(p.defaultValue()).append('.');
            }
        } else {
            action.append("Check spring.datasource.url and the pgcluster.* properties against docs/configuration.md")
                    .append(" (URL forms: jdbc:pgcluster:etcd|zookeeper|consul|patroni|hosts|endpoints://...).");
        }
        return new FailureAnalysis("pgcluster could not be configured: " + cause.getMessage(), action.toString(),
                cause);
    }
}
