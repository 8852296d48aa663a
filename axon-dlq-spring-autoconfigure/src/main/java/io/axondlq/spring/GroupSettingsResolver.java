package io.axondlq.spring;

import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.spring.properties.Backoff;
import io.axondlq.spring.properties.BackoffOverride;
import io.axondlq.spring.properties.GroupOverrides;
import io.axondlq.spring.properties.Limits;
import io.axondlq.spring.properties.LimitsOverride;
import io.axondlq.spring.properties.Retry;
import io.axondlq.spring.properties.RetryOverride;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.ClassUtils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Turns {@link AxonDlqProperties} into per-group settings, validating everything up front so that a bad property
 * fails the application start with the property's name in the message.
 */
public class GroupSettingsResolver {

    private static final Logger logger = LoggerFactory.getLogger(GroupSettingsResolver.class);
    /** A map key Spring Boot binds from the plain dotted form; any other needs brackets. */
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private final AxonDlqProperties properties;
    private final ClassLoader classLoader;
    private final GroupSettings defaults;
    /** By key of axon.dlq.processing-groups. */
    private final Map<String, GroupSettings> overrides = new ConcurrentHashMap<>();
    /** By key of axon.dlq.processing-groups. */
    private final Map<String, DeadLetterLimits> groupLimits = new ConcurrentHashMap<>();
    /** By processing group: the key that applies to it. */
    private final Map<String, Optional<String>> overrideKeys = new ConcurrentHashMap<>();

    public GroupSettingsResolver(AxonDlqProperties properties, ClassLoader classLoader) {
        this.properties = properties;
        this.classLoader = classLoader;
        this.defaults = settings("axon.dlq", properties.getRetry(), properties.getIsolation(),
                                 properties.isClearOnReset());
        limits("axon.dlq.limits", properties.getLimits());
        properties.getProcessingGroups().forEach((group, o) -> {
            String prefix = groupProperty(group);
            overrides.put(group, settings(prefix, merge(prefix, properties.getRetry(), o.getRetry()),
                                          o.getIsolation() != null ? o.getIsolation() : properties.getIsolation(),
                                          o.getClearOnReset() != null ? o.getClearOnReset()
                                                  : properties.isClearOnReset()));
            groupLimits.put(group, limits(prefix + ".limits", merge(properties.getLimits(), o.getLimits())));
        });
    }

    public boolean isEnabled(String processingGroup) {
        GroupOverrides override = override(processingGroup);
        if (override != null && override.getEnabled() != null) {
            return override.getEnabled();
        }
        return properties.getGroups().isEmpty() || properties.getGroups().contains(processingGroup);
    }

    public GroupSettings settings(String processingGroup) {
        return overrideKey(processingGroup).map(overrides::get).orElse(defaults);
    }

    public DeadLetterLimits defaultLimits() {
        return limits("axon.dlq.limits", properties.getLimits());
    }

    /** The limits of a group whose override sets them, null for the defaults. */
    public DeadLetterLimits groupLimits(String processingGroup) {
        return overrideKey(processingGroup).map(groupLimits::get).orElse(null);
    }

    /** The key of {@code axon.dlq.processing-groups} that applies to the group, see {@link #overrideKey(String, Set)}. */
    public Optional<String> overrideKey(String processingGroup) {
        return overrideKeys.computeIfAbsent(processingGroup,
                                            group -> overrideKey(group, properties.getProcessingGroups().keySet()));
    }

    private GroupOverrides override(String processingGroup) {
        return overrideKey(processingGroup).map(properties.getProcessingGroups()::get).orElse(null);
    }

    /**
     * The key among {@code keys} that applies to a group: its name as Spring Boot compares property names, ignoring
     * case and punctuation ({@link #relaxed}), so that an environment variable's key ({@code billingview},
     * {@code orderprojection}) applies to {@code BillingView} or {@code order-projection}. Spring Boot binds all
     * spellings of one key to the same values (across property sources by their precedence), so any of them serves;
     * the exact name is preferred.
     */
    static Optional<String> overrideKey(String processingGroup, Set<String> keys) {
        if (keys.contains(processingGroup)) {
            return Optional.of(processingGroup);
        }
        return keys.stream().filter(key -> sameKey(processingGroup, key)).sorted().findFirst();
    }

    /**
     * Whether Spring Boot reads the two as one property-name element. Names without ASCII letters or digits match
     * exactly only: their relaxed forms are all empty.
     */
    static boolean sameKey(String processingGroup, String key) {
        String relaxed = relaxed(processingGroup);
        return relaxed.isEmpty() ? processingGroup.equals(key) : relaxed.equals(relaxed(key));
    }

    /**
     * A name as Spring Boot compares property names ("uniform form"): its ASCII letters and digits, in lower case.
     */
    static String relaxed(String name) {
        StringBuilder relaxed = new StringBuilder(name.length());
        name.chars().map(Character::toLowerCase).filter(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            .forEach(c -> relaxed.append((char) c));
        return relaxed.toString();
    }

    private GroupSettings settings(String prefix, Retry retry,
                                   io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation isolation,
                                   boolean clearOnReset) {
        try {
            ExponentialBackoffRetryPolicy.Builder policy = ExponentialBackoffRetryPolicy.builder();
            String retryPrefix = prefix + ".retry";
            named(retryPrefix + ".max-attempts", () -> policy.maxAttempts(retry.getMaxAttempts()));
            named(retryPrefix + ".backoff.initial", () -> policy.initialBackoff(retry.getBackoff().getInitial()));
            named(retryPrefix + ".backoff.multiplier", () -> policy.multiplier(retry.getBackoff().getMultiplier()));
            named(retryPrefix + ".backoff.max", () -> policy.maxBackoff(retry.getBackoff().getMax()));
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
        named(prefix + ".max-sequences", () -> new DeadLetterLimits(limits.getMaxSequences(), 1));
        named(prefix + ".max-sequence-size", () -> new DeadLetterLimits(1, limits.getMaxSequenceSize()));
        return new DeadLetterLimits(limits.getMaxSequences(), limits.getMaxSequenceSize());
    }

    /** Runs one setting's check, so that a refusal names the property it came from. */
    private static void named(String property, Runnable setting) {
        try {
            setting.run();
        } catch (InvalidDeadLetterPropertyException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidDeadLetterPropertyException(property + ": " + e.getMessage(), e);
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

    /**
     * The property prefix of one group's overrides as it is written: {@code axon.dlq.processing-groups.ledger}, or in
     * brackets when the key has a dot or another character Spring Boot would not keep in the plain form
     * ({@code axon.dlq.processing-groups[com.acme.orders]}).
     */
    public static String groupProperty(String key) {
        return PLAIN_KEY.matcher(key).matches() ? "axon.dlq.processing-groups." + key
                : "axon.dlq.processing-groups[" + key + "]";
    }

    private static Retry merge(String prefix, Retry base, RetryOverride o) {
        Retry merged = new Retry();
        merged.setMaxAttempts(o.getMaxAttempts() != null ? o.getMaxAttempts() : base.getMaxAttempts());
        BackoffOverride nested = o.getBackoff() != null ? o.getBackoff() : new BackoffOverride();
        Duration initial = either(prefix + ".retry.backoff.initial", nested.getInitial(),
                                  prefix + ".retry.backoff-initial", o.getBackoffInitial());
        Double multiplier = either(prefix + ".retry.backoff.multiplier", nested.getMultiplier(),
                                   prefix + ".retry.backoff-multiplier", o.getBackoffMultiplier());
        Duration max = either(prefix + ".retry.backoff.max", nested.getMax(),
                              prefix + ".retry.backoff-max", o.getBackoffMax());
        // A deprecated flat value is checked under the name it was written with, before it takes the nested one's.
        if (o.getBackoffInitial() != null) {
            named(prefix + ".retry.backoff-initial",
                  () -> ExponentialBackoffRetryPolicy.builder().initialBackoff(o.getBackoffInitial()));
        }
        if (o.getBackoffMultiplier() != null) {
            named(prefix + ".retry.backoff-multiplier",
                  () -> ExponentialBackoffRetryPolicy.builder().multiplier(o.getBackoffMultiplier()));
        }
        if (o.getBackoffMax() != null) {
            named(prefix + ".retry.backoff-max",
                  () -> ExponentialBackoffRetryPolicy.builder().maxBackoff(o.getBackoffMax()));
        }
        Backoff backoff = new Backoff();
        backoff.setInitial(initial != null ? initial : base.getBackoff().getInitial());
        backoff.setMultiplier(multiplier != null ? multiplier : base.getBackoff().getMultiplier());
        backoff.setMax(max != null ? max : base.getBackoff().getMax());
        merged.setBackoff(backoff);
        merged.setNonRetryableExceptions(o.getNonRetryableExceptions() != null ? o.getNonRetryableExceptions()
                                                 : base.getNonRetryableExceptions());
        merged.setSkipExceptions(o.getSkipExceptions() != null ? o.getSkipExceptions() : base.getSkipExceptions());
        return merged;
    }

    /** A backoff value given nested (as at the top level) or in the deprecated flat form; not both. */
    private static <T> T either(String nestedName, T nested, String flatName, T flat) {
        if (flat == null) {
            return nested;
        }
        if (nested != null && !nested.equals(flat)) {
            throw new InvalidDeadLetterPropertyException(
                    nestedName + " and " + flatName + " are both set (" + nested + ", " + flat + "); keep only "
                            + nestedName + " (the flat form is deprecated)", null);
        }
        logger.warn("{} is deprecated and will be removed: use {}, shaped as axon.dlq.retry.backoff.*", flatName,
                    nestedName);
        return flat;
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
