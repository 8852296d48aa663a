package io.axondlq.core.config;

import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import io.axondlq.core.DeadLetteringProcessorInvoker;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterGroups;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.core.store.NodeId;
import io.axondlq.core.store.QueueProcessingRecorder;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.config.Configuration;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.config.EventProcessingModule;
import org.axonframework.config.ModuleConfiguration;
import org.axonframework.config.EventProcessingConfigurer.PooledStreamingProcessorConfiguration;
import org.axonframework.eventhandling.AbstractEventProcessor;
import org.axonframework.eventhandling.EventHandlerInvoker;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.ErrorHandler;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.MultiEventHandlerInvoker;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.RollbackConfiguration;
import org.axonframework.messaging.StreamableMessageSource;
import org.axonframework.messaging.SubscribableMessageSource;
import org.axonframework.messaging.deadletter.EnqueuePolicy;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Axon's {@link EventProcessingModule}, with axon-dlq's invoker for every enabled processing group.
 * <p>
 * Axon builds its per-group invokers privately; what it exposes are the processor factory methods, which every
 * processor goes through, including those configured by Spring Boot properties. For an enabled group this module
 * lets Axon build its own dead-lettering invoker around an axon-dlq queue (so Axon's
 * {@code sequencedDeadLetterProcessor(group)} keeps working), then swaps in axon-dlq's invoker, built from the same
 * handlers and sequencing policy, when the processor is created. Processor names that differ from group names and
 * several groups per processor work because groups are found by invoker, not by name.
 * <p>
 * Each such processor gets a {@link DeadLetteringProcessorInvoker} around its groups' invokers (checkpoints, segment
 * moves), a token store that reports its claims to that invoker, and must propagate errors: whatever escapes the
 * invoker (a full queue, a store error) rolls the batch back, and an error handler that logged it away would let the
 * processor store a later token, losing the batch.
 * <p>
 * Register it before anything calls {@code Configurer.eventProcessing()}, or in Spring Boot let the auto-configuration
 * provide it.
 */
public class DeadLetteringEventProcessingModule extends EventProcessingModule {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetteringEventProcessingModule.class);

    private final Function<Configuration, DeadLetterStore> storeFactory;
    private final Function<Configuration, Savepoints> savepointsFactory;
    private final Function<Configuration, DeadLetterObserver> observerFactory;
    private final Function<Configuration, QueueProcessingRecorder> queueRecorderFactory;
    private final Predicate<String> enabledGroups;
    private final Function<String, GroupSettings> settings;
    private final Duration leaseDuration;
    private final BooleanSupplier redeliveryStopSignal;
    private final String nodeId;
    private final DeadLetterGroups groups = new DeadLetterGroups();
    private final Set<SequencedDeadLetterQueue<?>> ownQueues = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Per processor with axon-dlq groups, its invoker: told about the claims the processor's token store makes. */
    private final Map<String, DeadLetteringProcessorInvoker> processorInvokers = new ConcurrentHashMap<>();
    private Function<String, Function<Configuration, SequencedDeadLetterQueue<EventMessage<?>>>> userQueueProvider =
            group -> null;
    private volatile DeadLetterStore store;
    private volatile DeadLetterRedeliverer redeliverer;
    /** Groups given an Axon EnqueuePolicy of their own, and whether a default one was registered: see swapInvokers. */
    private final Set<String> enqueuePolicyGroups = ConcurrentHashMap.newKeySet();
    private volatile boolean defaultEnqueuePolicy;

    protected DeadLetteringEventProcessingModule(Builder builder) {
        this.storeFactory = builder.storeFactory;
        this.savepointsFactory = builder.savepointsFactory;
        this.observerFactory = builder.observerFactory;
        this.queueRecorderFactory = builder.queueRecorderFactory;
        this.enabledGroups = builder.enabledGroups;
        this.settings = builder.settings;
        this.leaseDuration = builder.leaseDuration;
        this.redeliveryStopSignal = builder.redeliveryStopSignal;
        this.nodeId = builder.nodeId != null ? builder.nodeId : NodeId.local();
        super.registerDeadLetterQueueProvider(this::queueFor);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Refuses a second event processing module. Axon creates a plain one when {@code Configurer.eventProcessing()}
     * (also behind {@code registerEventHandler}, {@code registerSaga}) is called before this module is registered;
     * that one then gets the handlers and builds their processors, without dead-lettering, and the start would not
     * say so.
     */
    @Override
    public void initialize(Configuration configuration) {
        List<String> others = configuration.getModules().stream().map(ModuleConfiguration::unwrap)
                                           .filter(m -> m != this && m instanceof EventProcessingConfiguration)
                                           .map(m -> m.getClass().getName()).toList();
        if (!others.isEmpty()) {
            throw new AxonConfigurationException(
                    "Axon has another event processing module " + others + " beside axon-dlq's "
                            + getClass().getSimpleName() + ". Axon creates one when Configurer.eventProcessing() "
                            + "(also called by registerEventHandler and registerSaga) is called before any event "
                            + "processing module is registered; its handlers would run without dead-lettering. "
                            + "Register the " + getClass().getSimpleName() + " (registerModule) before anything "
                            + "calls Configurer.eventProcessing(), and configure event processing through it.");
        }
        super.initialize(configuration);
    }

    public boolean isEnabled(String processingGroup) {
        return enabledGroups.test(processingGroup);
    }

    public DeadLetterGroups groups() {
        return groups;
    }

    /** Names this node in the attempt history of live failures (see {@link Builder#nodeId(String)}). */
    public String nodeId() {
        return nodeId;
    }

    public DeadLetterStore store() {
        DeadLetterStore result = store;
        if (result == null) {
            if (configuration == null) {
                throw new IllegalStateException("The dead-letter store is available once Axon is configured");
            }
            synchronized (this) {
                if (store == null) {
                    store = storeFactory.apply(configuration);
                }
                result = store;
            }
        }
        return result;
    }

    /**
     * Redelivery through the groups' own invokers, hearing the {@link Builder#redeliveryStopSignal(BooleanSupplier)
     * stop signal}; available once the processors are built. One instance: give this one to whatever redelivers
     * ({@code DeadLetterOperations}, retry jobs, automatic retry).
     */
    public DeadLetterRedeliverer redeliverer() {
        DeadLetterRedeliverer result = redeliverer;
        if (result == null) {
            synchronized (this) {
                if (redeliverer == null) {
                    redeliverer = new DeadLetterRedeliverer(store(), groups, leaseDuration,
                                                            observerFactory.apply(configuration),
                                                            redeliveryStopSignal);
                }
                result = redeliverer;
            }
        }
        return result;
    }

    /** Keeps axon-dlq's groups enabled when someone else (Axon's Spring Boot support) sets a queue provider. */
    @Override
    public EventProcessingConfigurer registerDeadLetterQueueProvider(
            Function<String, Function<Configuration, SequencedDeadLetterQueue<EventMessage<?>>>> provider) {
        this.userQueueProvider = Objects.requireNonNull(provider, "provider");
        return this;
    }

    @Override
    public EventProcessingConfigurer registerDeadLetterPolicy(
            String processingGroup, Function<Configuration, EnqueuePolicy<EventMessage<?>>> policyBuilder) {
        enqueuePolicyGroups.add(processingGroup);
        return super.registerDeadLetterPolicy(processingGroup, policyBuilder);
    }

    @Override
    public EventProcessingConfigurer registerDefaultDeadLetterPolicy(
            Function<Configuration, EnqueuePolicy<EventMessage<?>>> policyBuilder) {
        defaultEnqueuePolicy = true;
        return super.registerDefaultDeadLetterPolicy(policyBuilder);
    }

    private Function<Configuration, SequencedDeadLetterQueue<EventMessage<?>>> queueFor(String processingGroup) {
        Function<Configuration, SequencedDeadLetterQueue<EventMessage<?>>> other =
                userQueueProvider.apply(processingGroup);
        if (!isEnabled(processingGroup)) {
            return other;
        }
        if (other != null) {
            throw conflict(processingGroup);
        }
        return c -> {
            // Axon's sequencedDeadLetterProcessor(group) processes through this queue: counted and audited there.
            GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store(), processingGroup)
                                                             .observedBy(observerFactory.apply(c),
                                                                         () -> queueRecorderFactory.apply(c));
            synchronized (ownQueues) {
                ownQueues.add(queue);
            }
            return queue;
        };
    }

    private static IllegalStateException conflict(String processingGroup) {
        return new IllegalStateException(
                "Processing group [" + processingGroup + "] has both Axon's built-in dead-letter queue and axon-dlq "
                        + "enabled. Use one: remove registerDeadLetterQueue(\"" + processingGroup + "\", ...) or "
                        + "axon.eventhandling.processors.<name>.dlq.enabled for it, or exclude the group from "
                        + "axon-dlq (axon.dlq.processing-groups / the module's enabledGroups).");
    }

    // --- processor factories: every tracking / pooled streaming / subscribing processor is built here ------------

    @Override
    protected EventProcessor trackingEventProcessor(String name, EventHandlerInvoker eventHandlerInvoker,
                                                    TrackingEventProcessorConfiguration config,
                                                    StreamableMessageSource<TrackedEventMessage<?>> source) {
        List<DeadLetteringEventHandlerInvoker> ours = new ArrayList<>();
        EventHandlerInvoker invoker = swapInvokers(name, eventHandlerInvoker, ours, false);
        return bind(name, super.trackingEventProcessor(name, invoker, config, source), ours);
    }

    @Override
    protected EventProcessor pooledStreamingEventProcessor(
            String name, EventHandlerInvoker eventHandlerInvoker, Configuration config,
            StreamableMessageSource<TrackedEventMessage<?>> messageSource,
            PooledStreamingProcessorConfiguration processorConfiguration) {
        List<DeadLetteringEventHandlerInvoker> ours = new ArrayList<>();
        EventHandlerInvoker invoker = swapInvokers(name, eventHandlerInvoker, ours, true);
        PooledStreamingProcessorConfiguration customization = ours.isEmpty() ? processorConfiguration
                : processorConfiguration.andThen(claimReporting(name));
        return bind(name, super.pooledStreamingEventProcessor(name, invoker, config, messageSource, customization),
                    ours);
    }

    /**
     * Applied after the application's customizations of a pooled processor: a token store set there (instead of
     * {@code registerTokenStore}) replaces the claim-reporting one {@link #tokenStore(String)} gave, and the processor
     * invoker would not hear of this node's claims (I2 after a split, a merge or a segment's return). The builder
     * has no getter for it, so its field is read.
     */
    private PooledStreamingProcessorConfiguration claimReporting(String processorName) {
        return (configuration, builder) -> {
            TokenStore set = PooledBuilderTokenStore.read(builder);
            DeadLetteringProcessorInvoker invoker = processorInvokers.get(processorName);
            if (set != null && !(set instanceof ClaimReportingTokenStore) && invoker != null) {
                builder.tokenStore(new ClaimReportingTokenStore(set, invoker::segmentClaimed, invoker::claimReleased));
            }
            return builder;
        };
    }

    // --- processors an application builds itself: axon-dlq cannot wrap them ----------------------------------------

    @Override
    public EventProcessingConfigurer registerEventProcessorFactory(EventProcessorBuilder eventProcessorBuilder) {
        return super.registerEventProcessorFactory(checkedBuilder(eventProcessorBuilder));
    }

    @Override
    public EventProcessingConfigurer registerEventProcessor(String name, EventProcessorBuilder eventProcessorBuilder) {
        return super.registerEventProcessor(name, checkedBuilder(eventProcessorBuilder));
    }

    /**
     * Axon's own registrations (tracking, pooled, subscribing) build through this module's factory methods, which
     * swap the invokers; a builder of the application's own gets Axon's invokers and builds the processor itself,
     * with none of axon-dlq's retries, isolation, claim reports or redelivery. Such a processor must not run enabled
     * groups.
     */
    private EventProcessorBuilder checkedBuilder(EventProcessorBuilder builder) {
        Objects.requireNonNull(builder, "eventProcessorBuilder");
        return (name, configuration, eventHandlerInvoker) -> {
            EventProcessor processor = builder.build(name, configuration, eventHandlerInvoker);
            boolean wrapped = processor instanceof AbstractEventProcessor built
                    && built.eventHandlerInvoker() instanceof DeadLetteringProcessorInvoker;
            List<String> enabled = delegates(eventHandlerInvoker).stream().map(this::groupOf)
                                                                 .filter(g -> g != null && isEnabled(g)).toList();
            if (!wrapped && !enabled.isEmpty()) {
                throw new AxonConfigurationException(
                        "Processor [" + name + "] runs axon-dlq processing group(s) " + enabled + " but is built by "
                                + "an EventProcessorBuilder of the application's own (registerEventProcessor / "
                                + "registerEventProcessorFactory), which axon-dlq cannot wrap: its failures would "
                                + "not be retried, isolated or redeliverable, and a subscribing processor cannot park "
                                + "events at all. Register it with registerTrackingEventProcessor or "
                                + "registerPooledStreamingEventProcessor (customized through their configuration "
                                + "functions), or exclude the group(s) from axon-dlq.");
            }
            return processor;
        };
    }

    @Override
    protected EventProcessor subscribingEventProcessor(
            String name, EventHandlerInvoker eventHandlerInvoker,
            SubscribableMessageSource<? extends EventMessage<?>> messageSource) {
        for (EventHandlerInvoker delegate : delegates(eventHandlerInvoker)) {
            String group = groupOf(delegate);
            if (group != null && isEnabled(group)) {
                throw new IllegalStateException(
                        "Processing group [" + group + "] runs in subscribing processor [" + name + "], but axon-dlq "
                                + "needs a tracking or pooled streaming processor: a subscribing processor handles "
                                + "events in the publisher's transaction and cannot park or redeliver them. "
                                + "Configure the processor as pooled or tracking, or exclude the group from axon-dlq.");
            }
        }
        return super.subscribingEventProcessor(name, eventHandlerInvoker, messageSource);
    }

    /** Reports claims and releases to the processor's invoker when the processor runs axon-dlq groups. */
    @Override
    public TokenStore tokenStore(String processorName) {
        TokenStore tokenStore = super.tokenStore(processorName);
        DeadLetteringProcessorInvoker invoker = processorInvokers.get(processorName);
        return invoker == null ? tokenStore : new ClaimReportingTokenStore(tokenStore, invoker::segmentClaimed,
                                                                              invoker::claimReleased);
    }

    private EventHandlerInvoker swapInvokers(String processorName, EventHandlerInvoker invoker,
                                             List<DeadLetteringEventHandlerInvoker> ours, boolean pooled) {
        List<EventHandlerInvoker> swapped = new ArrayList<>();
        // Without a transaction manager a failed batch undoes nothing: the invoker retries in place instead.
        boolean transactional = !(transactionManager(processorName) instanceof NoTransactionManager);
        for (EventHandlerInvoker delegate : delegates(invoker)) {
            String group = groupOf(delegate);
            if (group == null || !isEnabled(group)) {
                swapped.add(delegate);
                continue;
            }
            SequencedDeadLetterQueue<?> queue = deadLetterQueue(group).orElse(null);
            synchronized (ownQueues) {
                if (!ownQueues.contains(queue)) {
                    throw conflict(group);
                }
            }
            if (defaultEnqueuePolicy || enqueuePolicyGroups.contains(group)) {
                // Registered for Axon's own queue, where it decides at the first failure: here it would silently not.
                logger.warn("Processing group [{}] has an Axon EnqueuePolicy (registerDeadLetterPolicy or "
                                    + "registerDefaultDeadLetterPolicy), which axon-dlq does not apply to live "
                                    + "failures: its retry policy decides (attempts, non-retryable and skip exception "
                                    + "types; the module's settings). The EnqueuePolicy still decides for letters "
                                    + "processed through Axon's sequencedDeadLetterProcessor(\"{}\").", group, group);
            }
            var axonInvoker = (org.axonframework.eventhandling.deadletter.DeadLetteringEventHandlerInvoker) delegate;
            GroupSettings groupSettings = settings.apply(group);
            if (groupSettings == null) {
                // A map's get as the function answers null for a group it lacks.
                throw new AxonConfigurationException(
                        "The module's settings gave no GroupSettings for processing group [" + group + "]: give every "
                                + "group axon-dlq runs its settings (GroupSettings.DEFAULT for the defaults), or leave "
                                + "the group out with enabledGroups");
            }
            DeadLetteringEventHandlerInvoker replacement =
                    DeadLetteringEventHandlerInvoker.builder()
                                                    .processingGroup(group)
                                                    .eventHandlers(axonInvoker.eventHandlers())
                                                    .sequencingPolicy(axonInvoker.getSequencingPolicy())
                                                    .store(store())
                                                    .retryPolicy(groupSettings.retryPolicy())
                                                    .isolation(groupSettings.isolation())
                                                    .transactional(transactional)
                                                    .clearOnReset(groupSettings.clearOnReset())
                                                    .savepoints(savepointsFactory.apply(configuration))
                                                    .observer(observerFactory.apply(configuration))
                                                    .nodeId(nodeId)
                                                    .build();
            ours.add(replacement);
            swapped.add(replacement);
        }
        if (ours.isEmpty()) {
            return invoker;
        }
        requirePropagatingErrorHandler(processorName, ours);
        requireRollbackOnAnyThrowable(processorName, ours);
        // A batch of this processor enqueues for all its groups in one transaction: their locks go in one order.
        store().groupsShareTransactions(ours.stream().map(DeadLetteringEventHandlerInvoker::processingGroup).toList());
        // Checkpoints re-run every group of the processor after a failure: only when all of them accept that, and
        // when nothing else in the processor keeps state the rollback does not undo (a saga manager holds its sagas
        // in memory until the batch commits: a re-run would apply the events to them twice).
        List<EventHandlerInvoker> others = swapped.stream().filter(d -> !ours.contains(d))
                                                  .filter(d -> !(d instanceof SimpleEventHandlerInvoker)).toList();
        boolean checkpointing = transactional && others.isEmpty() && ours.stream().allMatch(
                i -> i.isolation() == DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT);
        if (transactional && !others.isEmpty()) {
            logger.info("Processor [{}] also runs {}, whose state a rollback to a checkpoint would not undo: "
                                + "axon-dlq isolates its groups' failures with a savepoint per attempt instead",
                        processorName, others.stream().map(o -> o.getClass().getSimpleName()).toList());
        }
        DeadLetteringProcessorInvoker processorInvoker =
                new DeadLetteringProcessorInvoker(swapped, savepointsFactory.apply(configuration), checkpointing,
                                                  pooled);
        processorInvokers.put(processorName, processorInvoker);
        return processorInvoker;
    }

    private void requirePropagatingErrorHandler(String processorName, List<DeadLetteringEventHandlerInvoker> ours) {
        ErrorHandler errorHandler = errorHandler(processorName);
        if (!(errorHandler instanceof PropagatingErrorHandler)) {
            throw new AxonConfigurationException(
                    "Processor [" + processorName + "] runs axon-dlq processing group(s) " + ours.stream().map(
                            DeadLetteringEventHandlerInvoker::processingGroup).toList() + " with error handler ["
                            + errorHandler.getClass().getName() + "], but axon-dlq needs the processor to propagate "
                            + "errors (Axon's default PropagatingErrorHandler): a batch that fails for a reason "
                            + "axon-dlq cannot absorb (a full queue, a database error) must be retried, not skipped. "
                            + "Remove the error handler registered for this processor; handler failures are "
                            + "retried and dead-lettered by axon-dlq and never reach it.");
        }
    }

    private void requireRollbackOnAnyThrowable(String processorName, List<DeadLetteringEventHandlerInvoker> ours) {
        RollbackConfiguration rollback = rollbackConfiguration(processorName);
        if (rollback != null && !(rollback.rollBackOn(new Exception()) && rollback.rollBackOn(new RuntimeException())
                && rollback.rollBackOn(new Error()))) {
            throw new AxonConfigurationException(
                    "Processor [" + processorName + "] runs axon-dlq processing group(s) " + ours.stream().map(
                            DeadLetteringEventHandlerInvoker::processingGroup).toList() + " with rollback "
                            + "configuration [" + rollback + "], which commits a batch that failed with some "
                            + "throwables: axon-dlq needs every failure that reaches the batch (a full queue, a "
                            + "database error, a checked exception of a handler the queue could not isolate) to roll "
                            + "it back, or the token moves past an event that was neither handled nor dead-lettered. "
                            + "Remove the rollback configuration registered for this processor (Axon's default, "
                            + "ANY_THROWABLE, is what axon-dlq needs).");
        }
    }

    private EventProcessor bind(String processorName, EventProcessor processor,
                                List<DeadLetteringEventHandlerInvoker> ours) {
        if (ours.isEmpty()) {
            return processor;
        }
        // Interceptors a processor registers on itself belong to its batches, not to redelivery or a re-run: the
        // tracking processor's first interceptor stores its token from unit-of-work resources those do not have.
        // Like Axon's own dead-lettering invoker, redelivery runs the interceptors registered from outside: ours,
        // the configured ones Axon adds after this method returns, and any registered later.
        DeadLetteringProcessorInvoker processorInvoker = processorInvokers.get(processorName);
        if (processorInvoker != null && processorInvoker.checkpointing()) {
            // Before the configured interceptors, which Axon adds after this method returns; counted as internal.
            processor.registerHandlerInterceptor(processorInvoker.checkpointBeforeInterceptors());
        }
        int internal = processor.getHandlerInterceptors().size();
        processor.registerHandlerInterceptor(new ProcessingGroupTaggingInterceptor(processorName));
        Supplier<List<MessageHandlerInterceptor<? super EventMessage<?>>>> interceptors = () -> {
            List<MessageHandlerInterceptor<? super EventMessage<?>>> all = processor.getHandlerInterceptors();
            return all.subList(Math.min(internal, all.size()), all.size());
        };
        if (processorInvoker != null) {
            // A checkpoint re-run goes through the same interceptors as a redelivery.
            processorInvoker.interceptors(interceptors);
        }
        for (DeadLetteringEventHandlerInvoker invoker : ours) {
            // A retry back-off ends when the processor is asked to stop (its state turns before it waits for us).
            invoker.stopWhen(() -> !processor.isRunning());
            groups.register(new DeadLetterGroups.Binding(invoker.processingGroup(), processorName, invoker,
                                                         interceptors, transactionManager(processorName),
                                                         processor::isRunning));
        }
        return processor;
    }

    private static List<EventHandlerInvoker> delegates(EventHandlerInvoker invoker) {
        return invoker instanceof MultiEventHandlerInvoker multi ? multi.delegates() : List.of(invoker);
    }

    /** The group of an Axon dead-lettering invoker, found by identity among those Axon built. */
    private String groupOf(EventHandlerInvoker invoker) {
        for (Map.Entry<String, org.axonframework.eventhandling.deadletter.DeadLetteringEventHandlerInvoker> entry
                : deadLetteringEventHandlerInvokers.entrySet()) {
            if (entry.getValue() == invoker) {
                return entry.getKey();
            }
        }
        return null;
    }

    /** Builder; everything but the store has a default. */
    public static class Builder {

        private Function<Configuration, DeadLetterStore> storeFactory;
        private Function<Configuration, Savepoints> savepointsFactory = c -> Savepoints.NONE;
        private Function<Configuration, DeadLetterObserver> observerFactory = c -> DeadLetterObserver.NOOP;
        private Function<Configuration, QueueProcessingRecorder> queueRecorderFactory =
                c -> QueueProcessingRecorder.NONE;
        private Predicate<String> enabledGroups = group -> true;
        private Function<String, GroupSettings> settings = group -> GroupSettings.DEFAULT;
        private Duration leaseDuration = Duration.ofSeconds(30);
        private BooleanSupplier redeliveryStopSignal = () -> false;
        private String nodeId;

        protected Builder() {
        }

        public Builder store(Function<Configuration, DeadLetterStore> storeFactory) {
            this.storeFactory = require(storeFactory, "storeFactory");
            return this;
        }

        public Builder store(DeadLetterStore store) {
            require(store, "store");
            return store(c -> store);
        }

        /**
         * Defaults to none: failures are rethrown and the batch replayed. Use {@code JdbcSavepoints}, or
         * {@code JpaAwareSavepoints} when handlers write through JPA.
         */
        public Builder savepoints(Function<Configuration, Savepoints> savepointsFactory) {
            this.savepointsFactory = require(savepointsFactory, "savepointsFactory");
            return this;
        }

        public Builder observer(Function<Configuration, DeadLetterObserver> observerFactory) {
            this.observerFactory = require(observerFactory, "observerFactory");
            return this;
        }

        /**
         * Hears, in its transaction, each letter Axon's own dead-letter processing resolves
         * ({@code EventProcessingConfiguration.sequencedDeadLetterProcessor(group)}, which this module keeps working
         * on the group's queue): give it {@code DeadLetterOperations::axonProcessingRecorder} to audit those letters
         * like every other redelivery. Asked at each letter, so it may look the operations up late. Defaults to none.
         * The observer hears those letters anyway ({@code redelivered}, {@code redeliveryFailed}).
         */
        public Builder queueRecorder(Function<Configuration, QueueProcessingRecorder> queueRecorderFactory) {
            this.queueRecorderFactory = require(queueRecorderFactory, "queueRecorderFactory");
            return this;
        }

        /** Which processing groups use axon-dlq; defaults to all. */
        public Builder enabledGroups(Predicate<String> enabledGroups) {
            this.enabledGroups = require(enabledGroups, "enabledGroups");
            return this;
        }

        /**
         * Each enabled group's retry policy, isolation and clear-on-reset; defaults to {@link GroupSettings#DEFAULT}
         * for all. Must answer every enabled group: null fails the start naming the group.
         */
        public Builder settings(Function<String, GroupSettings> settings) {
            this.settings = require(settings, "settings");
            return this;
        }

        /** Lease a redelivery holds on its sequence (database time), renewed in each letter's own transaction. */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = DeadLetterRedeliverer.requireLease(leaseDuration, "leaseDuration");
            return this;
        }

        /**
         * Tells the {@link #redeliverer() redeliverer} that the application is closing: from the first true on,
         * every sequence redelivery (an operator's, a retry job's, the automatic retry's, your own code's) ends after
         * the letter in progress with {@code LIMIT_REACHED}, the rest waiting in order, and a letter whose handler
         * fails from then on is kept unchanged rather than charged with an attempt (the closing broke it, not the
         * letter). Raise it before the processors stop and the beans the handlers use close, for example from an
         * Axon shutdown handler in a phase above the processors'. Asked on the redelivering thread between letters:
         * keep it cheap, and it must not throw. Defaults to never; the Spring Boot auto-configuration raises it right
         * after the web server's graceful shutdown.
         */
        public Builder redeliveryStopSignal(BooleanSupplier redeliveryStopSignal) {
            this.redeliveryStopSignal = require(redeliveryStopSignal, "redeliveryStopSignal");
            return this;
        }

        /**
         * Names this node in the attempt history of live failures; defaults to {@code host:pid}
         * ({@link NodeId#local()}), as the JDBC store does. Give it the same value as the store's {@code nodeId}, so
         * that live and redelivery attempts in a letter's history name the node alike.
         */
        public Builder nodeId(String nodeId) {
            if (nodeId == null || nodeId.isBlank()) {
                throw new AxonConfigurationException("nodeId may not be null or blank");
            }
            this.nodeId = nodeId;
            return this;
        }

        public DeadLetteringEventProcessingModule build() {
            if (storeFactory == null) {
                throw new AxonConfigurationException("A dead-letter store is required");
            }
            return new DeadLetteringEventProcessingModule(this);
        }

        private static <T> T require(T value, String name) {
            if (value == null) {
                throw new AxonConfigurationException(name + " may not be null");
            }
            return value;
        }
    }
}
