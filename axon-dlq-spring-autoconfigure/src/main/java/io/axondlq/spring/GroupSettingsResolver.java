package io.axondlq.spring;

import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.spring.properties.Backoff;
import io.axondlq.spring.properties.GroupOverrides;
import io.axondlq.spring.properties.Limits;
import io.axondlq.spring.properties.LimitsOverride;
import io.axondlq.spring.properties.Retry;
import io.axondlq.spring.properties.RetryOverride;
import org.springframework.util.ClassUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns {@link AxonDlqProperties} into per-group settings, validating everything up front so that a bad property
 * fails the application start with the property's name in the message.
 */
public class GroupSettingsResolver {

    private final AxonDlqProperties properties;
    private final ClassLoader classLoader;
    private final GroupSettings defaults;
    private final Map<String, GroupSettings> overrides = new ConcurrentHashMap<>();

    public GroupSettingsResolver(AxonDlqProperties properties, ClassLoader classLoader) {
        this.properties = properties;
        this.classLoader = classLoader;
        this.defaults = settings("axon.dlq", properties.getRetry(), properties.getIsolation(),
                                 properties.isClearOnReset());
        limits("axon.dlq.limits", properties.getLimits());
        properties.getProcessingGroups().forEach((group, o) -> {
            String prefix = "axon.dlq.processing-groups." + group;
            overrides.put(group, settings(prefix, merge(properties.getRetry(), o.getRetry()),
                                          o.getIsolation() != null ? o.getIsolation() : properties.getIsolation(),
                                          o.getClearOnReset() != null ? o.getClearOnReset()
                                                  : properties.isClearOnReset()));
            limits(prefix + ".limits", merge(properties.getLimits(), o.getLimits()));
        });
    }

    public boolean isEnabled(String processingGroup) {
        GroupOverrides override = properties.getProcessingGroups().get(processingGroup);
        if (override != null && override.getEnabled() != null) {
            return override.getEnabled();
        }
        return properties.getGroups().isEmpty() || properties.getGroups().contains(processingGroup);
    }

    public GroupSettings settings(String processingGroup) {
        return overrides.getOrDefault(processingGroup, defaults);
    }

    public DeadLetterLimits defaultLimits() {
        return limits("axon.dlq.limits", properties.getLimits());
    }

    /** Limits of the groups that override them. */
    public Map<String, DeadLetterLimits> groupLimits() {
        Map<String, DeadLetterLimits> result = new ConcurrentHashMap<>();
        properties.getProcessingGroups().forEach((group, o) -> {
            result.put(group, limits("axon.dlq.processing-groups." + group + ".limits",
                                     merge(properties.getLimits(), o.getLimits())));
        });
        return result;
    }

    private GroupSettings settings(String prefix, Retry retry,
                                   io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation isolation,
                                   boolean clearOnReset) {
        try {
            ExponentialBackoffRetryPolicy.Builder policy = ExponentialBackoffRetryPolicy.builder()
                    .maxAttempts(retry.getMaxAttempts())
                    .initialBackoff(retry.getBackoff().getInitial())
                    .multiplier(retry.getBackoff().getMultiplier())
                    .maxBackoff(retry.getBackoff().getMax());
            if (!retry.getNonRetryableExceptions().isEmpty()) {
                policy.nonRetryable(types(prefix + ".retry.non-retryable-exceptions",
                                          retry.getNonRetryableExceptions()));
            }
            policy.skip(types(prefix + ".retry.skip-exceptions", retry.getSkipExceptions()));
            return new GroupSettings(policy.build(), isolation, clearOnReset);
        } catch (InvalidDeadLetterPropertyException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidDeadLetterPropertyException(prefix + ".retry: " + e.getMessage(), e);
        }
    }

    private static DeadLetterLimits limits(String prefix, Limits limits) {
        try {
            return new DeadLetterLimits(limits.getMaxSequences(), limits.getMaxSequenceSize());
        } catch (RuntimeException e) {
            throw new InvalidDeadLetterPropertyException(prefix + ": " + e.getMessage(), e);
        }
    }

    private List<Class<? extends Throwable>> types(String property, List<String> names) {
        List<Class<? extends Throwable>> types = new ArrayList<>();
        for (String name : names) {
            Class<?> type;
            try {
                type = ClassUtils.forName(name.trim(), classLoader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new InvalidDeadLetterPropertyException(property + ": class [" + name + "] not found", e);
            }
            if (!Throwable.class.isAssignableFrom(type)) {
                throw new InvalidDeadLetterPropertyException(property + ": [" + name + "] is not an exception type",
                                                             null);
            }
            @SuppressWarnings("unchecked")
            Class<? extends Throwable> throwable = (Class<? extends Throwable>) type;
            types.add(throwable);
        }
        return types;
    }

    private static Retry merge(Retry base, RetryOverride o) {
        Retry merged = new Retry();
        merged.setMaxAttempts(o.getMaxAttempts() != null ? o.getMaxAttempts() : base.getMaxAttempts());
        Backoff backoff = new Backoff();
        backoff.setInitial(o.getBackoffInitial() != null ? o.getBackoffInitial() : base.getBackoff().getInitial());
        backoff.setMultiplier(o.getBackoffMultiplier() != null ? o.getBackoffMultiplier()
                                      : base.getBackoff().getMultiplier());
        backoff.setMax(o.getBackoffMax() != null ? o.getBackoffMax() : base.getBackoff().getMax());
        merged.setBackoff(backoff);
        merged.setNonRetryableExceptions(o.getNonRetryableExceptions() != null ? o.getNonRetryableExceptions()
                                                 : base.getNonRetryableExceptions());
        merged.setSkipExceptions(o.getSkipExceptions() != null ? o.getSkipExceptions() : base.getSkipExceptions());
        return merged;
    }

    private static Limits merge(Limits base, LimitsOverride o) {
        Limits merged = new Limits();
        merged.setMaxSequences(o.getMaxSequences() != null ? o.getMaxSequences() : base.getMaxSequences());
        merged.setMaxSequenceSize(o.getMaxSequenceSize() != null ? o.getMaxSequenceSize() : base.getMaxSequenceSize());
        return merged;
    }

    /** A property of {@code axon.dlq.*} has a value axon-dlq cannot use. */
    public static class InvalidDeadLetterPropertyException extends IllegalStateException {
        public InvalidDeadLetterPropertyException(String message, Throwable cause) {
            super("Invalid axon-dlq configuration: " + message, cause);
        }
    }
}
