package io.axondlq.spring;

import io.axondlq.spring.GroupSettingsResolver.InvalidDeadLetterPropertyException;
import org.axonframework.config.Configuration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import io.axondlq.spring.properties.GroupOverrides;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Fails the start when a key of {@code axon.dlq.processing-groups} or an entry of {@code axon.dlq.groups} names no
 * processing group of the application, instead of ignoring it. The known groups are those Axon builds invokers for:
 * the module asks about every one of them (through {@link #recording(Predicate)}) while Axon builds its processors,
 * which {@link #afterSingletonsInstantiated()} has Axon do (its public {@code eventProcessors()}) before checking.
 * <p>
 * The keys come from the bound properties and from the property names under {@code axon.dlq.processing-groups}, so
 * that a key Spring Boot's binder dropped is seen too: a group named after a package ({@code com.acme.orders}),
 * written without brackets, is read as nested properties of a group {@code com} and binds nothing. A key applies to a
 * group as {@link GroupSettingsResolver#overrideKey(String, Set)} says: by its name ignoring case and punctuation, as
 * Spring Boot compares property names (and as an environment variable writes it). So groups that differ only in case
 * or punctuation (Axon allows it) cannot be tuned apart, and a key of theirs fails the start rather than tuning both;
 * so do two spellings of a key that give one property different values in one property source.
 * <p>
 * Under {@code spring.main.lazy-initialization=true} neither this check nor the module exists when the singletons'
 * callback runs; the check runs instead when the context starts its lifecycle beans, first of them (a
 * {@link SmartLifecycle} is created for that even when lazy), before Axon starts its processors.
 */
public class ProcessingGroupPropertiesCheck implements SmartInitializingSingleton, SmartLifecycle {

    static final String GROUPS_PREFIX = "axon.dlq.processing-groups";
    private static final ConfigurationPropertyName PREFIX = ConfigurationPropertyName.of(GROUPS_PREFIX);
    private static final int KEY_ELEMENT = PREFIX.getNumberOfElements();
    /** The first element of every property of a group override (see GroupOverrides). */
    private static final Set<String> OVERRIDE_PROPERTIES =
            Set.of("enabled", "retry", "limits", "isolation", "clear-on-reset", "clearonreset");

    private static final String GROUP_SETTINGS = "enabled, retry.max-attempts, retry.backoff.initial, "
            + "retry.backoff.multiplier, retry.backoff.max, retry.non-retryable-exceptions, retry.skip-exceptions, "
            + "limits.max-sequences, limits.max-sequence-size, isolation, clear-on-reset";

    private static final Pattern PLAIN_ELEMENT = Pattern.compile("[A-Za-z0-9_-]+");

    private final AxonDlqProperties properties;
    private final Environment environment;
    private final ObjectProvider<Configuration> axonConfiguration;
    private final Set<String> groups = Collections.synchronizedSet(new TreeSet<>());
    private volatile boolean attached;
    private final AtomicBoolean checked = new AtomicBoolean();
    private volatile boolean running;

    public ProcessingGroupPropertiesCheck(AxonDlqProperties properties, Environment environment,
                                          ObjectProvider<Configuration> axonConfiguration) {
        this.properties = properties;
        this.environment = environment;
        this.axonConfiguration = axonConfiguration;
    }

    /** The module's group predicate, noting every group it is asked about. */
    public Predicate<String> recording(Predicate<String> enabledGroups) {
        attached = true;
        return group -> {
            groups.add(group);
            return enabledGroups.test(group);
        };
    }

    /** The processing groups the module has been asked about so far, sorted. */
    public Set<String> knownGroups() {
        synchronized (groups) {
            return Collections.unmodifiableSet(new TreeSet<>(groups));
        }
    }

    @Override
    public void afterSingletonsInstantiated() {
        checkOnce();
    }

    @Override
    public void start() {
        running = true;
        checkOnce();
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return Integer.MIN_VALUE;
    }

    private void checkOnce() {
        if (!checked.compareAndSet(false, true)) {
            return;
        }
        Map<String, Written> keys = configuredKeys();
        if (keys.isEmpty() && properties.getGroups().isEmpty()) {
            return;
        }
        // Creates Axon's configuration, and with it the module, unless they exist already (lazy initialization).
        Configuration axon = axonConfiguration.getIfAvailable();
        if (axon == null || !attached) {
            return; // no Axon, or a module of the application's own: axon-dlq's properties do not choose its groups
        }
        // Builds every processor now (Axon would at its start): each group's invoker asks the module about it.
        axon.eventProcessingConfiguration().eventProcessors();
        check(keys);
    }

    void check(Map<String, Written> keys) {
        Set<String> known = knownGroups();
        List<String> problems = new ArrayList<>(conflictingSpellings());
        Set<String> alike = new TreeSet<>();
        keys.forEach((key, written) -> {
            List<String> groups = known.stream().filter(group -> GroupSettingsResolver.sameKey(group, key)).toList();
            if (groups.isEmpty()) {
                problems.add(unknownKey(key, written, known));
                return;
            }
            problems.addAll(unknownSettings(written));
            if (groups.size() > 1 && alike.add(GroupSettingsResolver.relaxed(key))) {
                problems.add("processing groups " + groups + " differ only in case or punctuation, which Spring Boot "
                                     + "ignores in property names: " + GroupSettingsResolver.groupProperty(key)
                                     + (written == null ? "" : " (from " + written.describe() + ")")
                                     + " and any other spelling of it apply to all of them alike; rename one of "
                                     + "the groups to tune them apart");
            }
        });
        for (String entry : properties.getGroups()) {
            if (!known.contains(entry)) {
                problems.add("axon.dlq.groups entry [" + entry + "] names no processing group of this application"
                                     + differsInCase(entry, known));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidDeadLetterPropertyException(
                    String.join("; ", problems) + ". " + (known.isEmpty() ? "This application has no processing groups"
                            : "Its processing groups: " + known) + ".", null);
        }
    }

    /**
     * The properties under one group's key that name no setting of {@link GroupOverrides} (say {@code max-attempts}
     * without {@code retry.}): Spring Boot's binder ignores them, and the group would run on the defaults unnoticed.
     */
    private List<String> unknownSettings(Written written) {
        if (written == null) {
            return List.of(); // bound, but listed by no source: the unbound-elements check could find nothing there
        }
        // As the source wrote it: a plain element matches every relaxed spelling, a bracketed one only itself.
        ConfigurationPropertyName group = written.name().chop(KEY_ELEMENT + 1);
        try {
            Binder.get(environment).bind(group, Bindable.of(GroupOverrides.class),
                                         new NoUnboundElementsBindHandler(BindHandler.DEFAULT));
            return List.of();
        } catch (BindException e) {
            if (!(e.getCause() instanceof UnboundConfigurationPropertiesException unbound)) {
                return List.of(); // a value that does not convert: binding AxonDlqProperties reports it
            }
            return unbound.getUnboundProperties().stream().map(property -> {
                Object origin = property.getOrigin();
                String from = origin == null ? "" : " (from " + origin + ")";
                return original(property.getName()) + from + " is no setting of a processing group; a group takes " + GROUP_SETTINGS;
            }).toList();
        }
    }

    /**
     * One group's property set to different values by two spellings of its key in one property source (say
     * {@code billing-view} and {@code BillingView} in one file): Spring Boot binds both spellings to one value, the
     * one it meets first, so which applies is chance. Across sources the usual precedence decides, as for any property.
     */
    List<String> conflictingSpellings() {
        List<String> conflicts = new ArrayList<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (!(source instanceof IterableConfigurationPropertySource iterable)) {
                continue;
            }
            // The raw values: asked by name, the source answers every spelling with the first one's value.
            if (!(iterable.getUnderlyingSource() instanceof PropertySource<?> raw)) {
                continue;
            }
            Map<String, String> seen = new LinkedHashMap<>();
            iterable.stream().filter(PREFIX::isAncestorOf)
                    .filter(name -> name.getNumberOfElements() > KEY_ELEMENT + 1).forEach(name -> {
                String written = original(name);
                Object value = raw.getProperty(written);
                if (value == null) {
                    return;
                }
                String key = name.getElement(KEY_ELEMENT, Form.ORIGINAL);
                String relaxed = GroupSettingsResolver.relaxed(key);
                String sameProperty = (relaxed.isEmpty() ? key : relaxed) + " " + name.subName(KEY_ELEMENT + 1);
                String first = seen.putIfAbsent(sameProperty, written);
                if (first != null && !first.equals(written)
                        && !String.valueOf(raw.getProperty(first)).equals(String.valueOf(value))) {
                    conflicts.add(first + "=" + raw.getProperty(first) + " and " + written + "=" + value + " (in "
                                          + raw.getName() + ") set one property of one processing group, as Spring "
                                          + "Boot ignores case and punctuation in property names, and which value "
                                          + "applies is chance: keep one of them");
                }
            });
        }
        return conflicts;
    }

    private static String unknownKey(String key, Written written, Set<String> known) {
        StringBuilder message = new StringBuilder(GroupSettingsResolver.groupProperty(key));
        if (written != null) {
            message.append(" (from ").append(written.describe()).append(')');
        }
        message.append(" names no processing group of this application");
        if (written != null) {
            message.append(dotted(written, known));
        }
        return message.toString();
    }

    /** A group name with dots split by the binder into nested properties: the same property in brackets. */
    private static String dotted(Written written, Set<String> known) {
        ConfigurationPropertyName name = written.name();
        int elements = name.getNumberOfElements();
        StringBuilder group = new StringBuilder(name.getElement(KEY_ELEMENT, Form.ORIGINAL));
        for (int last = KEY_ELEMENT + 1; last < elements - 1; last++) {
            group.append('.').append(name.getElement(last, Form.ORIGINAL));
            if (known.contains(group.toString())) {
                StringBuilder rest = new StringBuilder();
                for (int i = last + 1; i < elements; i++) {
                    String element = name.getElement(i, Form.ORIGINAL);
                    rest.append(name.isNumericIndex(i) ? "[" + element + "]" : "." + element);
                }
                return ". Processing group [" + group + "] has dots, which Spring Boot reads as nested properties: "
                        + "write the group in brackets, " + GROUPS_PREFIX + "[" + group + "]" + rest
                        + " (in YAML the key \"[" + group + "]\" under processing-groups)";
            }
        }
        if (elements > KEY_ELEMENT + 1
                && !OVERRIDE_PROPERTIES.contains(name.getElement(KEY_ELEMENT + 1, Form.UNIFORM))
                && !OVERRIDE_PROPERTIES.contains(name.getElement(KEY_ELEMENT + 1, Form.DASHED))) {
            return ". A group name with dots must be written in brackets: " + GROUPS_PREFIX
                    + "[<group>].<property>";
        }
        return "";
    }

    private static String differsInCase(String entry, Set<String> known) {
        List<String> sameButCase = known.stream().filter(entry::equalsIgnoreCase).toList();
        if (sameButCase.isEmpty()) {
            return "";
        }
        return ". " + (sameButCase.size() == 1 ? "Processing group " + sameButCase
                : "Processing groups " + sameButCase) + " differ" + (sameButCase.size() == 1 ? "s" : "")
                + " only in case; names are matched exactly";
    }

    /**
     * Every key under {@code axon.dlq.processing-groups}: those bound, and those only a property name shows (with the
     * first such name, to quote it back).
     */
    Map<String, Written> configuredKeys() {
        Map<String, Written> keys = new LinkedHashMap<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (!(source instanceof IterableConfigurationPropertySource iterable)) {
                continue;
            }
            iterable.stream().filter(PREFIX::isAncestorOf).forEach(name -> {
                String key = name.getElement(KEY_ELEMENT, Form.ORIGINAL);
                keys.computeIfAbsent(key, k -> {
                    ConfigurationProperty property = source.getConfigurationProperty(name);
                    Object origin = property == null ? null : property.getOrigin();
                    return new Written(name, origin == null ? null : origin.toString());
                });
            });
        }
        for (String key : properties.getProcessingGroups().keySet()) {
            keys.putIfAbsent(key, null);
        }
        return keys;
    }

    /** A property as written: its name, and where it came from when Spring Boot knows. */
    record Written(ConfigurationPropertyName name, String origin) {

        String describe() {
            String written = original(name);
            return origin == null ? written : origin.contains(written) ? origin : written + ", " + origin;
        }
    }

    /** The name with its elements as written (toString() gives them in lower case). */
    static String original(ConfigurationPropertyName name) {
        StringBuilder result = new StringBuilder();
        for (int i = 0; i < name.getNumberOfElements(); i++) {
            String element = name.getElement(i, Form.ORIGINAL);
            if (name.isNumericIndex(i) || !PLAIN_ELEMENT.matcher(element).matches()) {
                result.append('[').append(element).append(']');
            } else {
                result.append(i == 0 ? "" : ".").append(element);
            }
        }
        return result.toString();
    }
}
