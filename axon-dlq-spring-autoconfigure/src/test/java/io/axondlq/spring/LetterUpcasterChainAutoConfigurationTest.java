package io.axondlq.spring;

import org.axonframework.config.Configuration;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.axonframework.serialization.upcasting.event.NoOpEventUpcaster;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** Letters are read through Axon's upcaster chain by default; a {@link LetterUpcasterChain} bean of one's own wins. */
class LetterUpcasterChainAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    @Test
    void byDefaultTheChainIsAxonsWithEveryEventUpcasterBean() {
        runner.withBean("anUpcaster", EventUpcaster.class, () -> NoOpEventUpcaster.INSTANCE).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(LetterUpcasterChain.class);
            EventUpcaster chain = context.getBean(LetterUpcasterChain.class).upcasterChain();
            assertThat(chain).isSameAs(context.getBean(Configuration.class).upcasterChain());
        });
    }

    @Test
    void aUserDefinedChainWins() {
        LetterUpcasterChain none = () -> null;
        runner.withBean(LetterUpcasterChain.class, () -> none).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(LetterUpcasterChain.class)).isSameAs(none);
        });
    }
}
