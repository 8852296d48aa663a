package io.axondlq.core.upcast;

import com.thoughtworks.xstream.XStream;
import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.LetterReadability;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.core.upcast.OrderUpcasters.Representation;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.ProcessorThreads;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.config.Configuration;
import org.axonframework.config.Configurer;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.tokenstore.inmemory.InMemoryTokenStore;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.messaging.StreamableMessageSource;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.serialization.SerializedType;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.UnknownSerializedType;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.axonframework.serialization.xml.CompactDriver;
import org.axonframework.serialization.xml.XStreamSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Dead letters across a schema change, through real Axon configurations on one database: the first release
 * dead-letters two {@link OrderPlacedV1} events (revision 1) of one order; the second release, whose class path no
 * longer has that class (a class loader hides it from the serializer), has {@link OrderPlacedV2} (renamed, a field
 * added, revision 2) and, depending on the test, an upcaster registered with Axon's configurer. The store reads the
 * letters through {@code Configuration::upcasterChain}. Jackson with {@code JsonNode} upcasters, XStream (Axon's
 * default) with DOM4J {@code Document} upcasters.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class UpcastingRedeliveryIntegrationTest {

    static final String GROUP = "orders";
    static final String PROCESSOR = "orders-projector";
    static final String ORDER = "order-1";

    enum SerializerKind {
        JACKSON(Representation.JSON) {
            @Override
            Serializer build(ClassLoader classLoader) {
                // Jackson's type factory falls back to its own class loader when the given one refuses a class:
                // the class lookup asks the given loader alone, as a class path without the class would answer.
                return new JacksonSerializer(JacksonSerializer.builder().classLoader(classLoader)) {
                    @Override
                    public Class classForType(SerializedType type) {
                        Class<?> found = super.classForType(type);
                        if (found.isPrimitive()) {
                            return found;
                        }
                        try {
                            Class.forName(found.getName(), false, classLoader);
                            return found;
                        } catch (ClassNotFoundException gone) {
                            return UnknownSerializedType.class;
                        }
                    }
                };
            }
        },
        XSTREAM(Representation.DOM4J) {
            @Override
            Serializer build(ClassLoader classLoader) {
                XStream xStream = new XStream(new CompactDriver());
                xStream.allowTypesByWildcard(new String[]{"io.axondlq.**", "org.axonframework.**"});
                return XStreamSerializer.builder().xStream(xStream).classLoader(classLoader).build();
            }
        };

        final Representation representation;

        SerializerKind(Representation representation) {
            this.representation = representation;
        }

        abstract Serializer build(ClassLoader classLoader);

        /** The first release's serializer: every class there. */
        Serializer firstRelease() {
            return build(getClass().getClassLoader());
        }

        /** The second release's: {@link OrderPlacedV1} is gone. */
        Serializer secondRelease() {
            return build(new HidingClassLoader(getClass().getClassLoader(), OrderPlacedV1.class));
        }
    }

    /** The first release's projection: broken, so every order event is dead-lettered. */
    @ProcessingGroup(GROUP)
    public static class BrokenProjection {
        @EventHandler
        public void on(OrderPlacedV1 event) {
            throw new IllegalStateException("projection broken for " + event.orderId);
        }
    }

    /** The second release's projection: records each event and the unit of work it was handled in. */
    @ProcessingGroup(GROUP)
    public static class FixedProjection {
        final List<String> handled = new CopyOnWriteArrayList<>();
        final List<Object> unitsOfWork = new CopyOnWriteArrayList<>();

        @EventHandler
        public void on(OrderPlacedV2 event) {
            handled.add(event.toString());
            unitsOfWork.add(CurrentUnitOfWork.get().root());
        }
    }

    /** Hears the evictions, as the metrics binding does. */
    static final class RecordingObserver implements DeadLetterObserver {
        final List<String> evictions = new CopyOnWriteArrayList<>();

        @Override
        public void evicted(String processingGroup, int letters, String reason) {
            evictions.add(processingGroup + ":" + letters + ":" + reason);
        }
    }

    @TestDataSource
    DataSource pool;

    private final List<Configuration> running = new ArrayList<>();
    private InMemoryEventStorageEngine storage;
    private DataSourceTransactionManager transactions;

    @BeforeEach
    void prepare() {
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));
        SchemaInitializer.initialize(pool, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        JdbcTemplate jdbc = new JdbcTemplate(pool);
        for (String table : List.of("axon_dlq_attempt", "axon_dlq_letter", "axon_dlq_sequence")) {
            jdbc.execute("DELETE FROM " + table);
        }
        storage = new OrderedInMemoryEventStorageEngine();
        transactions = new DataSourceTransactionManager(pool);
    }

    @AfterEach
    void shutdown() {
        running.forEach(Configuration::shutdown);
        running.clear();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SerializerKind.class)
    void anUpcasterMakesTheOldLettersRedeliverableAndTheyAreRedeliveredUpcastInOrder(SerializerKind kind) {
        firstReleaseDeadLetters(kind, 10, 20);
        FixedProjection projection = new FixedProjection();
        Application second = secondRelease(kind, projection, OrderUpcasters.renaming(kind.representation));

        List<StoredLetter> letters = second.letters();
        assertThat(letters).hasSize(2).allSatisfy(letter -> {
            assertThat(letter.readability().readable()).isTrue();
            assertThat(letter.readability().payloadTypes())
                    .containsExactly(new LetterReadability.PayloadType(OrderPlacedV2.class.getName(), "2"));
            assertThat(letter.messages()).singleElement()
                                         .satisfies(m -> assertThat(m.getPayload()).isInstanceOf(OrderPlacedV2.class));
        });

        RedeliveryResult result = second.module.redeliverer().redeliver(GROUP, second.store.sequenceKey(ORDER));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(2);
        assertThat(result.droppedByUpcaster()).isEmpty();
        assertThat(projection.handled).containsExactly("order-1:10:EUR", "order-1:20:EUR");
        assertThat(second.store.size(GROUP)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SerializerKind.class)
    void withoutAnUpcasterTheLettersStayUnreadableWithTheReason(SerializerKind kind) {
        firstReleaseDeadLetters(kind, 10, 20);
        FixedProjection projection = new FixedProjection();
        Application second = secondRelease(kind, projection, null);
        String reason = "payload type " + OrderPlacedV1.class.getName() + " revision 1 cannot be read: class not "
                + "found and no upcaster changes it";

        assertThat(second.letters()).hasSize(2).allSatisfy(letter -> {
            assertThat(letter.readability().readable()).isFalse();
            assertThat(letter.readability().reason()).isEqualTo(reason);
            assertThatThrownBy(letter::messages).isInstanceOf(UndeserializableLetterException.class)
                                                .hasMessageContaining(reason);
        });

        for (int attempt = 0; attempt < 2; attempt++) {
            RedeliveryResult result = second.module.redeliverer().redeliver(GROUP, second.store.sequenceKey(ORDER));
            assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.UNREADABLE);
            assertThat(result.failureMessage()).contains(reason);
            assertThat(result.remaining()).isEqualTo(2);
        }
        assertThat(projection.handled).isEmpty();
        // The stored letters are untouched: still the first release's type and revision.
        assertThat(second.letters()).allSatisfy(letter -> {
            assertThat(letter.event().payloadType()).isEqualTo(OrderPlacedV1.class.getName());
            assertThat(letter.event().payloadRevision()).isEqualTo("1");
            assertThat(letter.attempts()).isEqualTo(letter.parked() ? 0 : 1);
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SerializerKind.class)
    void anUpcasterThatDropsTheEventResolvesTheLetterAndReportsIt(SerializerKind kind) {
        firstReleaseDeadLetters(kind, 10, 20);
        FixedProjection projection = new FixedProjection();
        Application second = secondRelease(kind, projection, OrderUpcasters.dropping(kind.representation, 10));
        List<StoredLetter> letters = second.letters();
        assertThat(letters.get(0).readability().droppedByUpcaster()).isTrue();
        assertThat(letters.get(1).readability().payloadTypes()).hasSize(1);
        // Axon's own dead-letter API needs exactly one message per letter: it says why not.
        assertThatThrownBy(letters.get(0)::message).isInstanceOf(UndeserializableLetterException.class)
                                                   .hasMessageContaining("upcast to 0 events");

        RedeliveryResult result = second.module.redeliverer().redeliver(GROUP, second.store.sequenceKey(ORDER));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(1);
        assertThat(result.droppedByUpcaster()).containsExactly(letters.get(0).id());
        assertThat(result.droppedByUpcasterDetail()).contains(letters.get(0).id().toString());
        assertThat(second.observer.evictions).containsExactly(GROUP + ":1:" + DeadLetterObserver.EVICTED_BY_UPCASTER);
        assertThat(projection.handled).containsExactly("order-1:20:EUR");
        assertThat(second.store.size(GROUP)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SerializerKind.class)
    void anUpcasterThatSplitsTheEventHasBothHandledInOrderInTheLettersUnitOfWork(SerializerKind kind) {
        firstReleaseDeadLetters(kind, 10, 20);
        FixedProjection projection = new FixedProjection();
        Application second = secondRelease(kind, projection, OrderUpcasters.splitting(kind.representation));
        assertThat(second.letters().get(0).readability().payloadTypes()).hasSize(2);

        RedeliveryResult result = second.module.redeliverer().redeliver(GROUP, second.store.sequenceKey(ORDER));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(2);
        assertThat(projection.handled)
                .containsExactly("order-1:10:EUR", "order-1:1:FEE", "order-1:20:EUR", "order-1:1:FEE");
        assertThat(projection.unitsOfWork.get(0)).isSameAs(projection.unitsOfWork.get(1));
        assertThat(projection.unitsOfWork.get(2)).isSameAs(projection.unitsOfWork.get(3))
                                                 .isNotSameAs(projection.unitsOfWork.get(0));
        assertThat(second.store.size(GROUP)).isZero();
    }

    // --- the two releases -----------------------------------------------------------------------------------------

    /** One running application: its Axon configuration, module, observer, and a store reading as it does. */
    record Application(Configuration configuration, DeadLetteringEventProcessingModule module,
                       JdbcDeadLetterStore store, RecordingObserver observer) {

        List<StoredLetter> letters() {
            return store.sequenceLetters(GROUP, store.sequenceKey(ORDER), -1, 100);
        }
    }

    /** The first release: both events of the order end up as letters (the second parked behind the first). */
    private void firstReleaseDeadLetters(SerializerKind kind, int... amounts) {
        Application first = start(kind.firstRelease(), new BrokenProjection(), null, Function.identity());
        List<GenericDomainEventMessage<?>> events = new ArrayList<>();
        for (int i = 0; i < amounts.length; i++) {
            events.add(new GenericDomainEventMessage<>("Order", ORDER, i, new OrderPlacedV1(ORDER, amounts[i])));
        }
        first.configuration().eventStore().publish(events);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.store().size(GROUP) == amounts.length);
        running.remove(first.configuration());
        first.configuration().shutdown();
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));
        assertThat(first.letters()).extracting(l -> l.event().payloadType())
                                   .containsOnly(OrderPlacedV1.class.getName());
    }

    /** The second release, on the same database, starting at the head of the event stream. */
    private Application secondRelease(SerializerKind kind, FixedProjection projection, EventUpcaster upcaster) {
        return start(kind.secondRelease(), projection, upcaster,
                     c -> c.andInitialTrackingToken(StreamableMessageSource::createHeadToken));
    }

    private Application start(Serializer serializer, Object projection, EventUpcaster upcaster,
                              Function<TrackingEventProcessorConfiguration, TrackingEventProcessorConfiguration> tep) {
        RecordingObserver observer = new RecordingObserver();
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder()
                                                  .store(c -> JdbcDeadLetterStore.builder()
                                                                                 .dataSource(pool)
                                                                                 .transactionManager(transactions)
                                                                                 .eventSerializer(serializer)
                                                                                 .genericSerializer(serializer)
                                                                                 .upcasterChain(c::upcasterChain)
                                                                                 .build())
                                                  .savepoints(c -> new JdbcSavepoints(pool))
                                                  .settings(group -> new GroupSettings(
                                                          ExponentialBackoffRetryPolicy.builder().maxAttempts(1)
                                                                                       .build(),
                                                          DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT,
                                                          false))
                                                  .observer(c -> observer)
                                                  .leaseDuration(Duration.ofSeconds(30))
                                                  .build();
        Configurer configurer = DefaultConfigurer.defaultConfiguration(false);
        configurer.registerModule(module);
        configurer.configureSerializer(c -> serializer)
                  .configureEventSerializer(c -> serializer)
                  .configureMessageSerializer(c -> serializer)
                  .configureEmbeddedEventStore(c -> storage)
                  .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        if (upcaster != null) {
            configurer.registerEventUpcaster(c -> upcaster);
        }
        configurer.eventProcessing()
                  .registerTokenStore(PROCESSOR, c -> new InMemoryTokenStore())
                  .assignProcessingGroup(GROUP, PROCESSOR)
                  .registerEventHandler(c -> projection)
                  .registerTrackingEventProcessor(
                          PROCESSOR, Configuration::eventStore,
                          c -> tep.apply(TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                                                                            .andBatchSize(5)));
        Configuration configuration = configurer.buildConfiguration();
        running.add(configuration);
        configuration.start();
        // For the test's reads: the application's serializer and upcaster chain.
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder()
                                                       .dataSource(pool)
                                                       .eventSerializer(serializer)
                                                       .genericSerializer(serializer)
                                                       .upcasterChain(configuration::upcasterChain)
                                                       .build();
        return new Application(configuration, module, store, observer);
    }
}
