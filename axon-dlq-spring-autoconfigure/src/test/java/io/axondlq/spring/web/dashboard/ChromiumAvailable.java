package io.axondlq.spring.web.dashboard;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips the browser tests, before their application starts, where Chromium or its driver is missing, with the
 * packages to install as the reason (surefire counts them as skipped). With {@code CI=true} they run, and
 * {@link Browser#require()} fails them instead.
 */
public class ChromiumAvailable implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (Browser.chromium().isPresent() && Browser.chromedriver().isPresent()) {
            return ConditionEvaluationResult.enabled("Chromium and chromedriver found");
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            return ConditionEvaluationResult.enabled("CI=true: a missing browser fails the run");
        }
        return ConditionEvaluationResult.disabled(Browser.MISSING);
    }
}
