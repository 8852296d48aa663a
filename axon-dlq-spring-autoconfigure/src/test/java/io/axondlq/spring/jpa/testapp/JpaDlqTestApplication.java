package io.axondlq.spring.jpa.testapp;

import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

import java.util.Arrays;

/**
 * An ordinary Axon Spring Boot application with Spring Data JPA (Hibernate) and axon-dlq on the classpath, and no
 * axon-dlq code: Spring Boot's {@code JpaTransactionManager}, Axon's JPA token store, in-memory event storage, and
 * the pooled processor {@value OrderProjection#GROUP} configured by properties ({@code application-jpa.properties}).
 * The database comes from the test ({@code spring.datasource.*}).
 */
@SpringBootApplication
public class JpaDlqTestApplication {

    @Bean
    public EventStorageEngine eventStorageEngine() {
        return new OrderedInMemoryEventStorageEngine();
    }

    @Bean
    public BatchGate batchGate() {
        return new BatchGate();
    }

    @Bean
    public Faults faults() {
        return new Faults();
    }

    @Bean
    public HandlerLog handlerLog() {
        return new HandlerLog();
    }

    @Bean
    public OrderProjection orderProjection(OrderLineRepository lines, ShipmentRepository shipments, Faults faults,
                                           HandlerLog log, BatchGate gate) {
        return new OrderProjection(lines, shipments, faults, log, gate);
    }

    @Bean
    public Orders orders(EventStore eventStore) {
        return new Orders(eventStore);
    }

    /** Publishes one {@link OrderPlaced} per order, all in one append. */
    public static class Orders {

        private final EventStore eventStore;

        Orders(EventStore eventStore) {
            this.eventStore = eventStore;
        }

        public void place(String... orderIds) {
            eventStore.publish(Arrays.stream(orderIds)
                                     .map(id -> new GenericDomainEventMessage<>("Order", id, 0, new OrderPlaced(id)))
                                     .toList());
        }
    }
}
