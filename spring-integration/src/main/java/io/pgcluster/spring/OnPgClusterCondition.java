package io.pgcluster.spring;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when {@code spring.datasource.url} is a {@code jdbc:pgcluster:} URL or any {@code pgcluster.*} is set. */
final class OnPgClusterCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        if (PgClusterSettings.requested(context.getEnvironment())) {
            return ConditionOutcome.match("spring.datasource.url is a jdbc:pgcluster: URL or pgcluster.* is set");
        }
        return ConditionOutcome.noMatch("neither a jdbc:pgcluster: spring.datasource.url nor pgcluster.* properties");
    }
}
