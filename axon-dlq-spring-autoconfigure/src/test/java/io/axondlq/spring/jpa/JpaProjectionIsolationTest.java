package io.axondlq.spring.jpa;

import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.tx.JpaAwareSavepoints;
import io.axondlq.core.tx.Savepoints;
import io.axondlq.spring.jpa.testapp.BatchGate;
import io.axondlq.spring.jpa.testapp.Faults;
import io.axondlq.spring.jpa.testapp.HandlerLog;
import io.axondlq.spring.jpa.testapp.JpaDlqTestApplication;
import io.axondlq.spring.jpa.testapp.OrderLineRepository;
import io.axondlq.spring.jpa.testapp.OrderLine;
import io.axondlq.spring.jpa.testapp.OrderProjection;
import io.axondlq.spring.jpa.testapp.Shipment;
import io.axondlq.spring.jpa.testapp.ShipmentRepository;
import io.axondlq.testsupport.FreshDatabase;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.axondlq.spring.jpa.testapp.Faults.Fault.DATABASE_ERROR;
import static io.axondlq.spring.jpa.testapp.Faults.Fault.FLUSH_ERROR;
import static io.axondlq.spring.jpa.testapp.Faults.Fault.EXCEPTION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A Spring Boot application with a Spring Data JPA projection (Hibernate, {@code JpaTransactionManager}) and no
 * axon-dlq code gets in-transaction isolation: in one batch, an order whose handler throws after saving its entities
 * and an order whose repository call fails in the database are dead-lettered with none of their writes committed,
 * the healthy orders around them commit exactly once, and the processor never rolls the batch back and replays it.
 * Redelivery after the handler is fixed saves the entities. Subclasses pick the database.
 */
@SpringBootTest(classes = JpaDlqTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
@ActiveProfiles("jpa")
@DirtiesContext
abstract class JpaProjectionIsolationTest {

    private static final String GROUP = OrderProjection.GROUP;

    @Autowired
    JpaDlqTestApplication.Orders orders;
    @Autowired
    Faults faults;
    @Autowired
    HandlerLog log;
    @Autowired
    BatchGate gate;
    @Autowired
    OrderLineRepository lines;
    @Autowired
    ShipmentRepository shipments;
    @Autowired
    DeadLetterStore store;
    @Autowired
    DeadLetterRedeliverer redeliverer;
    @Autowired
    PlatformTransactionManager transactionManager;
    @Autowired
    Savepoints savepoints;

    static void database(DynamicPropertyRegistry registry, FreshDatabase db) {
        registry.add("spring.datasource.url", db::jdbcUrl);
        registry.add("spring.datasource.username", () -> db.dataSource().getUsername());
        registry.add("spring.datasource.password", () -> db.dataSource().getPassword());
    }

    @Test
    void aFailingJpaHandlerIsIsolatedInsideTheBatchAndRedeliveredAfterTheFix() throws Exception {
        assertThat(transactionManager).isInstanceOf(JpaTransactionManager.class);
        assertThat(savepoints).isInstanceOf(JpaAwareSavepoints.class);

        String run = UUID.randomUUID().toString().substring(0, 8);
        String gateOrder = "gate-" + run;
        String before1 = "ok-1-" + run;
        String before2 = "ok-2-" + run;
        String thrown = "thrown-" + run;
        String between = "ok-3-" + run;
        String rejected = "rejected-" + run;
        String deferred = "deferred-" + run;
        String after = "ok-4-" + run;
        String marker = "marker-" + run;
        List<String> healthy = List.of(before1, before2, between, after);
        faults.inject(thrown, EXCEPTION);
        faults.inject(rejected, DATABASE_ERROR);
        faults.inject(deferred, FLUSH_ERROR);

        // The gate holds the processor's first batch until the whole run is queued: the run is one batch.
        gate.arm(gateOrder, marker);
        orders.place(gateOrder);
        assertThat(gate.awaitHeld(Duration.ofSeconds(30))).as("gate event is being handled").isTrue();
        orders.place(before1, before2, thrown, between, rejected, deferred, after, marker);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
               .until(() -> store.sequenceSize(GROUP, store.sequenceKey(thrown)) == 1);
        // The stall: from the batch's first handler invocation until the poison event's letter is visible.
        long stallMillis = (System.nanoTime() - log.firstInvokedAt(before1)) / 1_000_000;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
               .until(() -> store.sequenceSize(GROUP, store.sequenceKey(rejected)) == 1
                       && store.sequenceSize(GROUP, store.sequenceKey(deferred)) == 1
                       && lines.countByOrderId(marker) == 1);

        long thrownBatch = log.batches(thrown).get(0);
        System.out.printf("[jpa-isolation %s] batch start -> letter stored: %d ms; batch of each invocation: %s%n",
                          getClass().getSimpleName(), stallMillis,
                          List.of(before1, before2, thrown, between, rejected, deferred, after).stream()
                              .map(o -> o.substring(0, o.lastIndexOf('-')) + "=" + log.batches(o)).toList());
        // Precondition: the events before the first failure were in its batch (so a batch replay would show).
        for (String order : List.of(before1, before2)) {
            assertThat(log.batches(order)).as("first batch of " + order).first().isEqualTo(thrownBatch);
        }

        // The failed attempts committed nothing: neither the IDENTITY entity (inserted on save) nor the UUID one
        // (inserted on flush), although the rest of the batch committed after them.
        for (String failed : List.of(thrown, rejected, deferred)) {
            assertThat(lines.countByOrderId(failed)).as("order lines of " + failed).isZero();
            assertThat(shipments.countByOrderId(failed)).as("shipments of " + failed).isZero();
            assertThat(log.invocations(failed)).as("attempts of " + failed).isGreaterThanOrEqualTo(2);
        }
        // The rest of the batch committed, exactly once.
        for (String order : healthy) {
            assertThat(lines.countByOrderId(order)).as("order lines of " + order).isEqualTo(1);
            assertThat(shipments.countByOrderId(order)).as("shipments of " + order).isEqualTo(1);
        }
        // No processor replay: every event was handled within the one batch; what follows a failure is handled once.
        for (String order : List.of(before1, before2, thrown, between, rejected, deferred, after)) {
            assertThat(log.batches(order)).as("batches of " + order).containsOnly(thrownBatch);
        }
        assertThat(log.invocations(after)).as("handler invocations of " + after).isEqualTo(1);

        // Fix the handler and redeliver: the entities are saved and the letters are gone.
        faults.heal(thrown);
        faults.heal(rejected);
        faults.heal(deferred);
        for (String failed : List.of(thrown, rejected, deferred)) {
            RedeliveryResult result = redeliverer.redeliver(GROUP, store.sequenceKey(failed));
            assertThat(result.outcome()).as(result.toString()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
            assertThat(store.sequenceSize(GROUP, store.sequenceKey(failed))).isZero();
            assertThat(lines.countByOrderId(failed)).as("order lines of " + failed).isEqualTo(1);
            assertThat(shipments.countByOrderId(failed)).as("shipments of " + failed).isEqualTo(1);
        }
    }

    /**
     * What a batch checkpoint relies on, on the savepoints themselves: entity changes made before the savepoint
     * (a dirty managed entity, an unflushed new one) survive a rollback to it; the failed work after it (including a
     * repository call that failed in the database and marked the transaction rollback-only) does not, and neither
     * does a change it made to a managed entity; handlers run again after the same savepoint see the state at the
     * savepoint and commit.
     */
    @Test
    void aSavepointRolledBackToIsUsedAgainByTheHandlersAfterIt() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String kept = "kept-" + run;
        String undone = "undone-" + run;
        String rerun = "rerun-" + run;
        assertThat(savepoints.create()).as("savepoint outside a transaction").isNull();
        TransactionTemplate transaction = new TransactionTemplate(transactionManager);
        UUID existing = transaction.execute(s -> shipments.save(new Shipment(kept, "committed")).getId());

        transaction.executeWithoutResult(status -> {
            Shipment managed = shipments.findById(existing).orElseThrow();
            managed.setTrackingCode("changed-before");
            lines.save(new OrderLine(kept));
            shipments.save(new Shipment(kept, "new-before"));
            Savepoints.Savepoint checkpoint = savepoints.create();
            assertThat(checkpoint).as("savepoint in a JPA transaction").isNotNull();

            lines.save(new OrderLine(undone));
            shipments.save(new Shipment(undone, "new-after"));
            managed.setTrackingCode("changed-after");
            assertThatThrownBy(() -> shipments.saveAndFlush(new Shipment(undone, null)))
                    .isInstanceOf(DataIntegrityViolationException.class);
            assertThat(status.isRollbackOnly()).as("marked rollback-only by the failed repository call").isTrue();
            checkpoint.rollback();
            assertThat(status.isRollbackOnly()).as("rollback-only after rolling back to the savepoint").isFalse();

            Shipment reread = shipments.findById(existing).orElseThrow();
            assertThat(reread).isNotSameAs(managed);
            assertThat(reread.getTrackingCode()).isEqualTo("changed-before");
            lines.save(new OrderLine(rerun));
            shipments.save(new Shipment(rerun, "new-rerun"));
            checkpoint.release();
        });

        assertThat(lines.countByOrderId(kept)).isEqualTo(1);
        assertThat(shipments.findById(existing).orElseThrow().getTrackingCode()).isEqualTo("changed-before");
        assertThat(shipments.countByOrderId(kept)).isEqualTo(2);
        assertThat(lines.countByOrderId(undone)).isZero();
        assertThat(shipments.countByOrderId(undone)).isZero();
        assertThat(lines.countByOrderId(rerun)).isEqualTo(1);
        assertThat(shipments.countByOrderId(rerun)).isEqualTo(1);
    }
}
