package io.axondlq.core;

import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.axonframework.queryhandling.SimpleQueryUpdateEmitter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PublicationMark} over Axon's own units of work and {@link SimpleQueryUpdateEmitter}, which queues an update
 * emitted in a started unit of work for its after-commit.
 */
class PublicationMarkTest {

    private final SimpleQueryUpdateEmitter emitter = SimpleQueryUpdateEmitter.builder().build();
    private final List<String> emitted = new CopyOnWriteArrayList<>();
    private UnitOfWork<?> batch;

    @BeforeEach
    void startBatch() {
        emitter.registerDispatchInterceptor(messages -> (i, update) -> {
            emitted.add((String) update.getPayload());
            return update;
        });
        batch = DefaultUnitOfWork.startAndGet(null);
    }

    @AfterEach
    void clearUnitsOfWork() {
        while (CurrentUnitOfWork.isStarted()) {
            CurrentUnitOfWork.get().rollback();
        }
    }

    private void emit(String update) {
        emitter.emit(String.class, q -> true, update);
    }

    /** Runs {@code update}'s emission in a unit of work nested in the batch, committed and handed over. */
    private void emitNested(String update) {
        UnitOfWork<?> nested = DefaultUnitOfWork.startAndGet(null);
        emit(update);
        nested.commit();
        PublicationMark.handOverUpdates(nested);
    }

    @Test
    void updatesOfNestedUnitsOfWorkGoOutAfterTheBatchsCommitInTheOrderTheyWereQueued() {
        emit("live-1");
        emitNested("nested-1");
        emitNested("nested-2");
        emit("live-2");
        assertThat(emitted).as("before the batch's commit").isEmpty();

        batch.commit();

        assertThat(emitted).containsExactly("live-1", "nested-1", "nested-2", "live-2");
    }

    /** Axon alone runs nested units of work's after-commit in reverse order, and before the batch's own queue. */
    @Test
    void withoutTheHandOverAxonEmitsNestedUpdatesInReverseOrder() {
        emit("live-1");
        for (String update : List.of("nested-1", "nested-2")) {
            UnitOfWork<?> nested = DefaultUnitOfWork.startAndGet(null);
            emit(update);
            nested.commit();
        }
        batch.commit();

        assertThat(emitted).containsExactly("nested-2", "nested-1", "live-1");
    }

    @Test
    void whenTheBatchHasNoQueueYetLaterUpdatesOfTheBatchQueueBehindTheHandedOverOnes() {
        emitNested("nested-1");
        emit("live-1");
        emitNested("nested-2");
        assertThat(emitted).isEmpty();

        batch.commit();

        assertThat(emitted).containsExactly("nested-1", "live-1", "nested-2");
    }

    @Test
    void aRollbackToAMarkDropsUpdatesHandedOverSinceThenOnce() {
        emit("live-1");
        PublicationMark mark = PublicationMark.take();
        emitNested("nested-1");
        mark.restore();
        emitNested("nested-1 again");
        batch.commit();

        assertThat(emitted).containsExactly("live-1", "nested-1 again");
    }

    @Test
    void aMarkTakenBeforeTheBatchHadAQueueDropsTheHandedOverUpdates() {
        PublicationMark mark = PublicationMark.take();
        emitNested("nested-1");
        mark.restore();
        batch.commit();

        assertThat(emitted).isEmpty();
    }

    @Test
    void aRolledBackNestedUnitOfWorkEmitsNothing() {
        emit("live-1");
        UnitOfWork<?> nested = DefaultUnitOfWork.startAndGet(null);
        emit("failed");
        nested.rollback();
        emitNested("nested-1");
        batch.commit();

        assertThat(emitted).containsExactly("live-1", "nested-1");
    }

    @Test
    void aBatchRolledBackEmitsNothing() {
        emitNested("nested-1");
        emit("live-1");
        batch.rollback();

        assertThat(emitted).isEmpty();
    }
}
