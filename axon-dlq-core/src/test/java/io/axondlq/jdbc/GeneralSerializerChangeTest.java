package io.axondlq.jdbc;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.thoughtworks.xstream.XStream;
import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.ProcessorThreads;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.config.Configuration;
import org.axonframework.config.Configurer;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.GenericTrackedDomainEventMessage;
import org.axonframework.eventhandling.GenericTrackedEventMessage;
import org.axonframework.eventhandling.ReplayStatus;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.tokenstore.inmemory.InMemoryTokenStore;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.StreamableMessageSource;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.axonframework.serialization.xml.CompactDriver;
import org.axonframework.serialization.xml.XStreamSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

/**
 * Evolution of stored letters: the application switches its general ("generic") serializer from XStream, Axon's
 * default, to Jackson, keeping Jackson for events. The letters' events are unchanged and readable; only their
 * tracking tokens were written by the old general serializer. Such letters must still be redeliverable (the token is
 * incidental to redelivery and no upcaster can convert it): they are read as untracked events, as letters stored
 * without a token are, with a warning naming the letter and the token's type; the views say the same.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class GeneralSerializerChangeTest {

    static final String PROCESSOR = "orders-projector";

    @TestDataSource
    DataSource dataSource;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger codecLogger = (Logger) LoggerFactory.getLogger(EventCodec.class);
    private final List<Configuration> running = new ArrayList<>();

    public record OrderPlaced(String orderId) {
    }

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        log.start();
        codecLogger.addAppender(log);
    }

    @AfterEach
    void tearDown() {
        codecLogger.detachAppender(log);
        running.forEach(Configuration::shutdown);
        running.clear();
    }

    static Serializer xstreamGeneral() {
        XStream xStream = new XStream(new CompactDriver());
        xStream.allowTypesByWildcard(new String[]{"io.axondlq.**", "org.axonframework.**"});
        return XStreamSerializer.builder().xStream(xStream).build();
    }

    private JdbcDeadLetterStore store(Serializer general, EventUpcaster chain) {
        return JdbcDeadLetterStore.builder().dataSource(dataSource)
                                  .eventSerializer(JacksonSerializer.defaultSerializer())
                                  .genericSerializer(general)
                                  .upcasterChain(() -> chain)
                                  .limits(new DeadLetterLimits(1000, 1000)).nodeId("node-a").build();
    }

    @Test
    void aTrackedLetterStoredUnderXStreamStaysReadableAfterTheGeneralSerializerMovesToJackson() {
        String group = "group-" + UUID.randomUUID();

        // Before the change: a tracked event dead-lettered, its token written by XStream.
        EventMessage<?> tracked = new GenericTrackedEventMessage<>(
                GapAwareTrackingToken.newInstance(41, List.of(40L)),
                GenericEventMessage.asEventMessage(new OrderPlaced("o-1")).andMetaData(MetaData.with("k", "v")));
        UUID id = store(xstreamGeneral(), null).enqueue(group, LetterDraft.failed("o-1", tracked,
                                                                                  new IllegalStateException("boom"),
                                                                                  List.of()));

        // After the change (axon.serializer.general=jackson): the same letter, read back.
        StoredLetter letter = store(JacksonSerializer.defaultSerializer(), null).letter(id).orElseThrow();
        assertThat(letter.readability().readable())
                .as("redeliverable; reason given: %s", letter.readability().reason())
                .isTrue();
        // The listing says so (above); redelivery reads the message, which must then not fail either.
        assertThatCode(letter::message).as("reading the letter's event for redelivery").doesNotThrowAnyException();
        assertThat(letter.message().getPayload()).isEqualTo(new OrderPlaced("o-1"));
        // Read as a letter stored without a token is: an untracked event, identifier and metadata kept.
        assertThat(letter.message()).isNotInstanceOf(TrackedEventMessage.class)
                                    .isNotInstanceOf(DomainEventMessage.class);
        assertThat(letter.message().getIdentifier()).isEqualTo(tracked.getIdentifier());
        assertThat(letter.message().getMetaData()).containsEntry("k", "v");
        assertThat(letter.messages()).singleElement().isNotInstanceOf(TrackedEventMessage.class);
        // Logged, naming the letter and the token's type.
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN)
                            .isNotEmpty()
                            .allSatisfy(e -> assertThat(e.getFormattedMessage())
                                    .contains(id.toString())
                                    .contains(GapAwareTrackingToken.class.getName()));
    }

    @Test
    void withAnUpcasterChainTheViewsAndTheReadAgreeAndTheUpcastersSeeNoToken() {
        String group = "group-" + UUID.randomUUID();
        EventMessage<?> tracked = new GenericTrackedDomainEventMessage<>(
                GapAwareTrackingToken.newInstance(7, List.of()),
                new GenericDomainEventMessage<>("Order", "o-2", 3, new OrderPlaced("o-2")));
        UUID id = store(xstreamGeneral(), null).enqueue(group, LetterDraft.failed("o-2", tracked,
                                                                                  new IllegalStateException("boom"),
                                                                                  List.of()));
        List<Object> tokensSeen = new CopyOnWriteArrayList<>();
        EventUpcaster chain = new EventUpcaster() {
            @Override
            public Stream<IntermediateEventRepresentation> upcast(
                    Stream<IntermediateEventRepresentation> representations) {
                return representations.peek(r -> tokensSeen.add(r.getTrackingToken().isPresent()));
            }
        };

        JdbcDeadLetterStore jackson = store(JacksonSerializer.defaultSerializer(), chain);
        StoredLetter letter = jackson.letter(id).orElseThrow();
        assertThat(letter.readability().readable()).as("reason: %s", letter.readability().reason()).isTrue();
        assertThat(letter.messages()).singleElement().satisfies(m -> {
            assertThat(m).isNotInstanceOf(TrackedEventMessage.class).isInstanceOf(DomainEventMessage.class);
            DomainEventMessage<?> domain = (DomainEventMessage<?>) m;
            assertThat(domain.getAggregateIdentifier()).isEqualTo("o-2");
            assertThat(domain.getSequenceNumber()).isEqualTo(3);
            assertThat(domain.getType()).isEqualTo("Order");
            assertThat(domain.getPayload()).isEqualTo(new OrderPlaced("o-2"));
        });
        assertThat(tokensSeen).as("upcasters saw a token").isNotEmpty().containsOnly(false);
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN).isNotEmpty()
                            .allSatisfy(e -> assertThat(e.getFormattedMessage()).contains(id.toString()));

        // Under the serializer that wrote it, the same letter still reads tracked.
        assertThat(store(xstreamGeneral(), chain).letter(id).orElseThrow().message())
                .isInstanceOf(TrackedEventMessage.class)
                .satisfies(m -> assertThat(((TrackedEventMessage<?>) m).trackingToken())
                        .isEqualTo(GapAwareTrackingToken.newInstance(7, List.of())));
    }

    // --- end to end: a tracking processor dead-letters under XStream; the next release redelivers under Jackson ---

    /** The first release's projection: broken, so every order event is dead-lettered. */
    @ProcessingGroup("orders")
    public static class BrokenProjection {
        @EventHandler
        public void on(OrderPlaced event) {
            throw new IllegalStateException("projection broken for " + event.orderId());
        }
    }

    /** The second release's: records each event and the replay status Axon resolves for it. */
    @ProcessingGroup("orders")
    public static class FixedProjection {
        final List<String> handled = new CopyOnWriteArrayList<>();

        @EventHandler
        public void on(OrderPlaced event, ReplayStatus status, @org.axonframework.eventhandling.Timestamp
                       java.time.Instant timestamp) {
            handled.add(event.orderId() + ":" + status + ":" + (timestamp != null));
        }
    }

    @Test
    void theNextReleaseRedeliversTheTrackedLettersThroughItsProcessorAfterTheGeneralSerializerChanged() {
        String group = "orders";
        new JdbcTemplate(dataSource).update("DELETE FROM axon_dlq_attempt");
        new JdbcTemplate(dataSource).update("DELETE FROM axon_dlq_letter");
        new JdbcTemplate(dataSource).update("DELETE FROM axon_dlq_sequence");
        InMemoryEventStorageEngine storage = new OrderedInMemoryEventStorageEngine();
        DataSourceTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));

        Application first = start(storage, transactions, xstreamGeneral(), new BrokenProjection(),
                                    Function.identity());
        first.configuration().eventStore().publish(new GenericDomainEventMessage<>("Order", "o-3", 0, new OrderPlaced("o-3")),
                                   new GenericDomainEventMessage<>("Order", "o-3", 1, new OrderPlaced("o-3b")));
        JdbcDeadLetterStore xstreamStore = store(xstreamGeneral(), null);
        await().atMost(Duration.ofSeconds(30)).until(() -> xstreamStore.size(group) == 2);
        running.remove(first.configuration());
        first.configuration().shutdown();
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));
        String key = xstreamStore.sequenceKey("o-3");
        assertThat(xstreamStore.sequenceLetters(group, key, -1, 10))
                .as("stored tracked, token written by XStream")
                .allSatisfy(l -> {
                    assertThat(l.event().tokenType()).isNotNull();
                    assertThat(l.message()).isInstanceOf(TrackedEventMessage.class);
                });

        FixedProjection projection = new FixedProjection();
        Application second = start(storage, transactions, JacksonSerializer.defaultSerializer(), projection,
                                     c -> c.andInitialTrackingToken(StreamableMessageSource::createHeadToken));
        JdbcDeadLetterStore jacksonStore = store(JacksonSerializer.defaultSerializer(), null);
        assertThat(jacksonStore.sequenceLetters(group, key, -1, 10)).hasSize(2)
                .allSatisfy(l -> assertThat(l.readability().readable()).isTrue());

        RedeliveryResult result = second.module().redeliverer().redeliver(group, key);

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(2);
        assertThat(projection.handled).containsExactly("o-3:REGULAR:true", "o-3b:REGULAR:true");
        assertThat(jacksonStore.size(group)).isZero();
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN)
                            .extracting(ILoggingEvent::getFormattedMessage)
                            .anySatisfy(m -> assertThat(m).contains("tracking token of type"));
    }

    record Application(Configuration configuration, DeadLetteringEventProcessingModule module) {
    }

    private Application start(InMemoryEventStorageEngine storage, DataSourceTransactionManager transactions,
                                Serializer general, Object projection,
                                Function<TrackingEventProcessorConfiguration, TrackingEventProcessorConfiguration> tep) {
        Serializer events = JacksonSerializer.defaultSerializer();
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder()
                                                  .store(c -> JdbcDeadLetterStore.builder()
                                                                                 .dataSource(dataSource)
                                                                                 .transactionManager(transactions)
                                                                                 .eventSerializer(events)
                                                                                 .genericSerializer(general)
                                                                                 .upcasterChain(c::upcasterChain)
                                                                                 .build())
                                                  .savepoints(c -> new JdbcSavepoints(dataSource))
                                                  .settings(g -> new GroupSettings(
                                                          ExponentialBackoffRetryPolicy.builder().maxAttempts(1)
                                                                                       .build(),
                                                          DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT,
                                                          false))
                                                  .leaseDuration(Duration.ofSeconds(30))
                                                  .build();
        Configurer configurer = DefaultConfigurer.defaultConfiguration(false);
        configurer.registerModule(module);
        configurer.configureSerializer(c -> general)
                  .configureEventSerializer(c -> events)
                  .configureMessageSerializer(c -> events)
                  .configureEmbeddedEventStore(c -> storage)
                  .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        configurer.eventProcessing()
                  .registerTokenStore(PROCESSOR, c -> new InMemoryTokenStore())
                  .assignProcessingGroup("orders", PROCESSOR)
                  .registerEventHandler(c -> projection)
                  .registerTrackingEventProcessor(
                          PROCESSOR, Configuration::eventStore,
                          c -> tep.apply(TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                                                                            .andBatchSize(5)));
        Configuration configuration = configurer.buildConfiguration();
        running.add(configuration);
        configuration.start();
        return new Application(configuration, module);
    }
}
