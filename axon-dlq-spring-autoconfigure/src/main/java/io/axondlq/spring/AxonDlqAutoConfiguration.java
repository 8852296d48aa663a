package io.axondlq.spring;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.tx.Savepoints;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import org.axonframework.config.Configuration;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.config.EventProcessingModule;
import org.axonframework.serialization.Serializer;
import org.axonframework.springboot.autoconfig.EventProcessingAutoConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.transaction.PlatformTransactionManager;

import java.util.List;
import javax.sql.DataSource;

/**
 * axon-dlq for Axon Spring Boot applications: the JDBC store, its schema, and an {@link EventProcessingModule} that
 * puts axon-dlq's invoker on every enabled processing group of a tracking or pooled streaming processor, including
 * processors configured with {@code axon.eventhandling.processors.*} properties. Handler attempts are isolated by the
 * {@link Savepoints} bean ({@code axonDlqSavepoints}, see {@link AxonDlqSavepointsConfiguration}).
 */
@AutoConfiguration(before = EventProcessingAutoConfiguration.class,
        after = {DataSourceAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class},
        afterName = "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration")
@ConditionalOnClass({EventProcessingModule.class, JdbcDeadLetterStore.class})
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@ConditionalOnBean(DataSource.class)
@EnableConfigurationProperties(AxonDlqProperties.class)
@Import(AxonDlqSavepointsConfiguration.class)
public class AxonDlqAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public GroupSettingsResolver axonDlqGroupSettings(AxonDlqProperties properties) {
        return new GroupSettingsResolver(properties, getClass().getClassLoader());
    }

    /**
     * Fails the start when a {@code processing-groups} key or a {@code groups} entry names no processing group, once
     * Axon has built its processors.
     */
    @Bean
    @ConditionalOnMissingBean
    public ProcessingGroupPropertiesCheck axonDlqProcessingGroupsCheck(
            AxonDlqProperties properties, Environment environment, ObjectProvider<Configuration> axonConfiguration) {
        return new ProcessingGroupPropertiesCheck(properties, environment, axonConfiguration);
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterSchemaInitializer axonDlqSchemaInitializer(DataSource dataSource, AxonDlqProperties properties) {
        return new DeadLetterSchemaInitializer(dataSource, properties.getJdbc().getInitializeSchema(),
                                               properties.getJdbc().getTablePrefix());
    }

    /** Dead letters are read through Axon's upcaster chain, as the event store reads events. */
    @Bean
    @ConditionalOnMissingBean
    public LetterUpcasterChain axonDlqUpcasterChain(ObjectProvider<Configuration> axonConfiguration) {
        return LetterUpcasterChain.axon(axonConfiguration);
    }

    @Bean
    @ConditionalOnMissingBean(DeadLetterStore.class)
    public JdbcDeadLetterStore axonDlqStore(DataSource dataSource,
                                            ObjectProvider<PlatformTransactionManager> transactionManager,
                                            Serializer serializer,
                                            @Qualifier("eventSerializer") ObjectProvider<Serializer> eventSerializer,
                                            AxonDlqProperties properties,
                                            GroupSettingsResolver settings,
                                            DeadLetterSchemaInitializer schema,
                                            LetterUpcasterChain upcasterChain) {
        JdbcDeadLetterStore.Builder builder = JdbcDeadLetterStore.builder()
                                                                 .dataSource(dataSource)
                                                                 .eventSerializer(eventSerializer.getIfAvailable(
                                                                         () -> serializer))
                                                                 .genericSerializer(serializer)
                                                                 .tablePrefix(properties.getJdbc().getTablePrefix())
                                                                 .limits(settings.defaultLimits())
                                                                 .nodeId(properties.getNodeId())
                                                                 .upcasterChain(upcasterChain::upcasterChain);
        transactionManager.ifAvailable(builder::transactionManager);
        builder.limitsOfGroup(settings::groupLimits);
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean({EventProcessingModule.class, EventProcessingConfiguration.class})
    public DeadLetteringEventProcessingModule eventProcessingModule(ObjectProvider<DeadLetterStore> store,
                                                                    Savepoints savepoints,
                                                                    GroupSettingsResolver settings,
                                                                    AxonDlqProperties properties,
                                                                    List<DeadLetterObserver> observers,
                                                                    ProcessingGroupPropertiesCheck groupsCheck,
                                                                    ObjectProvider<DeadLetterOperations> operations,
                                                                    RedeliveryShutdownSignal shutdown) {
        DeadLetterObserver observer = new CompositeDeadLetterObserver(observers);
        // The store is looked up when Axon starts, not now: the store needs Axon's serializer, a bean of
        // AxonAutoConfiguration, whose @Autowired configureEventHandling needs this module: a cycle otherwise.
        return DeadLetteringEventProcessingModule.builder()
                                                 .store(c -> store.getObject())
                                                 .savepoints(c -> savepoints)
                                                 .observer(c -> observer)
                                                 // Axon's sequencedDeadLetterProcessor(group): audited as redeliveries.
                                                 .queueRecorder(c -> operations.stream().findFirst().map(
                                                         DeadLetterOperations::axonProcessingRecorder).orElse(null))
                                                 .enabledGroups(groupsCheck.recording(settings::isEnabled))
                                                 .settings(settings::settings)
                                                 .leaseDuration(properties.getClaim().getLease())
                                                 // Every sequence redelivery ends between letters once closing.
                                                 .redeliveryStopSignal(shutdown::closing)
                                                 .nodeId(properties.getNodeId())
                                                 .build();
    }

    /** When the application is closing: the module's redeliveries' stop signal. */
    @Bean
    @ConditionalOnMissingBean
    public RedeliveryShutdownSignal axonDlqRedeliveryShutdownSignal() {
        return new RedeliveryShutdownSignal();
    }

    /**
     * The module's own redeliverer, so one instance whatever redelivers (REST, the Java API, jobs, the automatic
     * retry, the application's code through the module): it ends sequence redeliveries between letters once the
     * application is closing (the module's {@code redeliveryStopSignal}). REST requests still running after the web
     * server's grace period would otherwise go on through their sequence while the processors stop, and a handler
     * failing because the closing interrupts it would count as a failed attempt of its letter. Needs Axon's
     * {@link Configuration} so that it exists only once the processors are built.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DeadLetteringEventProcessingModule.class)
    public DeadLetterRedeliverer axonDlqRedeliverer(DeadLetteringEventProcessingModule module,
                                                    Configuration axonConfiguration) {
        return module.redeliverer();
    }

    @Bean
    @ConditionalOnMissingBean
    public AuditLog axonDlqAuditLog(DataSource dataSource, AxonDlqProperties properties,
                                    DeadLetterSchemaInitializer schema) {
        return new JdbcAuditLog(dataSource, properties.getJdbc().getTablePrefix());
    }

    /**
     * Every operator action (REST, the Java API) goes through it: the change and its audit entry in one transaction of
     * the application's transaction manager, then the observers (metrics) the invoker and the redeliverer report to.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(PlatformTransactionManager.class)
    public DeadLetterOperations axonDlqOperations(DeadLetterStore store, AuditLog auditLog,
                                                  PlatformTransactionManager transactionManager,
                                                  ObjectProvider<DeadLetterObserver> observers,
                                                  ObjectProvider<DeadLetterRedeliverer> redeliverer,
                                                  AxonDlqProperties properties) {
        int maxLetters = properties.getRedelivery().getMaxLettersPerRequest();
        if (maxLetters < 1) {
            throw new GroupSettingsResolver.InvalidDeadLetterPropertyException(
                    "axon.dlq.redelivery.max-letters-per-request must be positive, was " + maxLetters, null);
        }
        return new DeadLetterOperations(store, auditLog, transactionManager,
                                        new CompositeDeadLetterObserver(observers.orderedStream().toList()),
                                        redeliverer::getIfAvailable, maxLetters);
    }
}
