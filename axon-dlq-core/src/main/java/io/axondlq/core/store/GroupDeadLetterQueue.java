package io.axondlq.core.store;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.tx.AfterCommit;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.Cause;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.EnqueueDecision;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.deadletter.NoSuchDeadLetterException;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;
import org.axonframework.messaging.deadletter.WrongDeadLetterTypeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Axon's {@link SequencedDeadLetterQueue} for one processing group, backed by a {@link DeadLetterStore}. Register it
 * with {@code EventProcessingConfigurer.registerDeadLetterQueue(group, c -> queue)} to give Axon's own
 * dead-lettering invoker this store.
 * <p>
 * Unlike Axon's JDBC queue, {@link #process(Predicate, Function)} looks at every claimable sequence, not the first
 * ten, and sequences are paged by key, so large sequences are returned exactly once each. Processing holds a lease
 * (database time) on the sequence, and every eviction or requeue it makes is fenced by that lease.
 * <p>
 * {@link #observedBy} gives the queue a {@link DeadLetterObserver} and a {@link QueueProcessingRecorder} (axon-dlq's
 * event processing module gives its queues the application's, so that Axon's
 * {@code sequencedDeadLetterProcessor(group)} is counted and audited like every other redelivery): a letter the
 * processing task evicts is a successful redelivery, one it requeues a failed one. The recorder hears it in the
 * transaction of the eviction or requeue; the observer once that transaction has committed (at once without one).
 * Letters removed through {@link #evict} or {@link #clear} reach the recorder in the removal's transaction (its own
 * when the caller has none: {@link QueueProcessingRecorder#inTransaction}) and the observer once it has committed, as
 * an operator's eviction.
 */
public final class GroupDeadLetterQueue implements SequencedDeadLetterQueue<EventMessage<?>> {

    private static final Logger logger = LoggerFactory.getLogger(GroupDeadLetterQueue.class);

    private final DeadLetterStore store;
    private final String processingGroup;
    private final Duration claimDuration;
    private final int pageSize;
    private final DeadLetterObserver observer;
    private final Supplier<? extends QueueProcessingRecorder> recorder;

    private GroupDeadLetterQueue(DeadLetterStore store, String processingGroup, Duration claimDuration,
                                 int pageSize, DeadLetterObserver observer,
                                 Supplier<? extends QueueProcessingRecorder> recorder) {
        this.store = store;
        this.processingGroup = processingGroup;
        this.claimDuration = claimDuration;
        this.pageSize = pageSize;
        this.observer = observer;
        this.recorder = recorder;
    }

    /**
     * @param claimDuration lease taken on a sequence while {@code process} works on it
     * @param pageSize      letters or sequences fetched per query when iterating
     */
    public static GroupDeadLetterQueue create(DeadLetterStore store, String processingGroup,
                                              Duration claimDuration, int pageSize) {
        if (store == null) {
            throw new AxonConfigurationException("store may not be null");
        }
        if (processingGroup == null || processingGroup.isBlank()) {
            throw new AxonConfigurationException("processingGroup may not be null or blank");
        }
        // The store takes a lease in whole milliseconds and refuses one below 1 ms at every claim.
        if (claimDuration == null || claimDuration.isNegative() || claimDuration.toMillis() < 1) {
            throw new AxonConfigurationException("claimDuration must be at least 1 ms, was " + claimDuration);
        }
        if (pageSize < 1) {
            throw new AxonConfigurationException("pageSize must be >= 1, was " + pageSize);
        }
        return new GroupDeadLetterQueue(store, processingGroup, claimDuration, pageSize, DeadLetterObserver.NOOP,
                                        () -> QueueProcessingRecorder.NONE);
    }

    public static GroupDeadLetterQueue create(DeadLetterStore store, String processingGroup) {
        return create(store, processingGroup, Duration.ofSeconds(30), 100);
    }

    /**
     * This queue, with {@link #process} reporting each letter's outcome: to {@code recorder} in the transaction that
     * records it, to {@code observer} ({@code redelivered}, {@code redeliveryFailed}) once that transaction commits;
     * and with {@link #evict} and {@link #clear} reporting their removals to {@code recorder} in their transaction and
     * to {@code observer} ({@code evicted}) once it commits.
     *
     * @param recorder asked at each outcome (it may be looked up late, e.g. a bean built after Axon's configuration);
     *                 null from it means {@link QueueProcessingRecorder#NONE}
     */
    public GroupDeadLetterQueue observedBy(DeadLetterObserver observer,
                                           Supplier<? extends QueueProcessingRecorder> recorder) {
        return new GroupDeadLetterQueue(store, processingGroup, claimDuration, pageSize,
                                        Objects.requireNonNull(observer, "observer"),
                                        Objects.requireNonNull(recorder, "recorder"));
    }

    public String processingGroup() {
        return processingGroup;
    }

    @Override
    public void enqueue(Object sequenceIdentifier, DeadLetter<? extends EventMessage<?>> letter) {
        store.enqueue(processingGroup, LetterDraft.of(sequenceIdentifier, letter));
    }

    @Override
    public boolean enqueueIfPresent(Object sequenceIdentifier,
                                    Supplier<DeadLetter<? extends EventMessage<?>>> letterBuilder) {
        // Checking first keeps the common "not parked" answer to one cheap primary-key read.
        if (!store.contains(processingGroup, store.sequenceKey(sequenceIdentifier))) {
            return false;
        }
        LetterDraft draft = LetterDraft.of(sequenceIdentifier, letterBuilder.get());
        return store.appendIfParked(processingGroup, List.of(draft))[0];
    }

    @Override
    public void evict(DeadLetter<? extends EventMessage<?>> letter) {
        StoredLetter stored = stored(letter);
        QueueProcessingRecorder recorder = recorder();
        recorder.inTransaction(() -> {
            if (store.remove(stored)) {
                recorder.evicted(stored);
                evicted(1);
            }
            return null;
        });
    }

    @Override
    public void requeue(DeadLetter<? extends EventMessage<?>> letter,
                        UnaryOperator<DeadLetter<? extends EventMessage<?>>> letterUpdater)
            throws NoSuchDeadLetterException {
        StoredLetter original = stored(letter);
        StoredLetter updated = updated(original, letterUpdater);
        if (!store.requeue(updated, attemptOf(original, updated))) {
            throw new NoSuchDeadLetterException("Dead letter [" + original.id() + "] of processing group ["
                                                        + processingGroup + "] does not exist");
        }
    }

    private static StoredLetter updated(StoredLetter original,
                                        UnaryOperator<DeadLetter<? extends EventMessage<?>>> letterUpdater) {
        return stored(letterUpdater.apply(original).markTouched());
    }

    private AttemptRecord attemptOf(StoredLetter original, StoredLetter updated) {
        return updated.cause().map(c -> record(original.attempts() + 1, c)).orElse(null);
    }

    private AttemptRecord record(int attempt, Cause cause) {
        return new AttemptRecord(attempt, GenericDeadLetter.clock.instant(), null, cause.type(), cause.message());
    }

    @Override
    public boolean contains(Object sequenceIdentifier) {
        return store.contains(processingGroup, store.sequenceKey(sequenceIdentifier));
    }

    @Override
    public Iterable<DeadLetter<? extends EventMessage<?>>> deadLetterSequence(Object sequenceIdentifier) {
        return sequenceByKey(store.sequenceKey(sequenceIdentifier));
    }

    private Iterable<DeadLetter<? extends EventMessage<?>>> sequenceByKey(String key) {
        return () -> new PagingIterator<StoredLetter, Long>(
                -1L, after -> store.sequenceLetters(processingGroup, key, after, pageSize),
                StoredLetter::sequenceIndex, pageSize) {
        }.map();
    }

    @Override
    public Iterable<Iterable<DeadLetter<? extends EventMessage<?>>>> deadLetters() {
        return () -> new Iterator<>() {
            private Iterator<SequenceSummary> page = List.<SequenceSummary>of().iterator();
            private String cursor;
            private boolean first = true;

            @Override
            public boolean hasNext() {
                while (!page.hasNext() && (first || cursor != null)) {
                    Page<SequenceSummary> next = store.sequences(processingGroup, pageSize, cursor);
                    first = false;
                    cursor = next.nextCursor();
                    page = next.items().iterator();
                }
                return page.hasNext();
            }

            @Override
            public Iterable<DeadLetter<? extends EventMessage<?>>> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return sequenceByKey(page.next().sequenceKey());
            }
        };
    }

    @Override
    public boolean isFull(Object sequenceIdentifier) {
        return store.isFull(processingGroup, store.sequenceKey(sequenceIdentifier));
    }

    @Override
    public long size() {
        return store.size(processingGroup);
    }

    @Override
    public long sequenceSize(Object sequenceIdentifier) {
        return store.sequenceSize(processingGroup, store.sequenceKey(sequenceIdentifier));
    }

    @Override
    public long amountOfSequences() {
        return store.sequenceCount(processingGroup);
    }

    @Override
    public boolean process(Predicate<DeadLetter<? extends EventMessage<?>>> sequenceFilter,
                           Function<DeadLetter<? extends EventMessage<?>>, EnqueueDecision<EventMessage<?>>> processingTask) {
        String cursor = null;
        do {
            Page<StoredLetter> heads = store.claimableHeads(processingGroup, pageSize, cursor);
            for (StoredLetter head : heads.items()) {
                if (!matches(sequenceFilter, head)) {
                    continue;
                }
                Optional<SequenceClaim> claim = tryClaim(head);
                if (claim.isEmpty()) {
                    continue;
                }
                // Read under the lease: the listed head may have been redelivered by another node since it was listed.
                List<StoredLetter> first = store.sequenceLetters(processingGroup, head.sequenceKey(), -1, pageSize);
                if (first.isEmpty() || !first.get(0).id().equals(head.id()) && !matches(sequenceFilter, first.get(0))) {
                    store.release(claim.get());
                    continue;
                }
                Outcome outcome = processSequence(first, claim.get(), processingTask);
                if (outcome != Outcome.HEAD_UNREADABLE) {
                    return outcome == Outcome.PROCESSED;
                }
                // Its head cannot be read here: the group's other sequences must not wait behind it (I6).
            }
            cursor = heads.nextCursor();
        } while (cursor != null);
        return false;
    }

    @Override
    public boolean process(
            Function<DeadLetter<? extends EventMessage<?>>, EnqueueDecision<EventMessage<?>>> processingTask) {
        return process(letter -> true, processingTask);
    }

    /**
     * A filter that reads the letter's event (Axon's usual {@code l -> l.message()...}) cannot match a letter that
     * cannot be read: it is passed over, never thrown to the caller, which would stop at it every time.
     */
    private boolean matches(Predicate<DeadLetter<? extends EventMessage<?>>> sequenceFilter, StoredLetter letter) {
        try {
            return sequenceFilter.test(letter);
        } catch (UndeserializableLetterException e) {
            logUnreadable(letter, e);
            return false;
        }
    }

    private void logUnreadable(StoredLetter letter, UndeserializableLetterException e) {
        logger.warn("Dead letter [{}] of sequence [{}] of processing group [{}] cannot be read, so Axon's processing "
                            + "passes its sequence over; fix what reads it (an upcaster, the payload class) and "
                            + "redeliver it, or export and evict it: {}",
                    letter.id(), letter.sequenceKey(), processingGroup, e.getMessage());
    }

    /** How processing a claimed sequence ended. */
    private enum Outcome {
        /** Every letter was handled and removed. */
        PROCESSED,
        /** A letter was requeued, the lease lost, or a letter after the head could not be read. */
        STOPPED,
        /** The head could not be read: nothing changed, another sequence may be processed instead. */
        HEAD_UNREADABLE
    }

    private Optional<SequenceClaim> tryClaim(StoredLetter head) {
        try {
            return store.claim(processingGroup, head.sequenceKey(), claimDuration);
        } catch (SequenceClaimedException e) {
            return Optional.empty();
        }
    }

    /**
     * Processes the claimed sequence from its head, a page of letters at a time. Each letter's removal or requeue is
     * fenced by the lease, in the caller's transaction when there is one (Axon's invoker runs {@code process} in one):
     * a lost lease, or a letter found already gone, stops processing and returns {@code false}, and marks that
     * transaction rollback-only, so the task's work under the lost lease does not commit with it.
     */
    private Outcome processSequence(List<StoredLetter> firstPage, SequenceClaim claim,
                                    Function<DeadLetter<? extends EventMessage<?>>, EnqueueDecision<EventMessage<?>>> task) {
        try {
            List<StoredLetter> page = firstPage;
            while (!page.isEmpty()) {
                for (StoredLetter current : page) {
                    EnqueueDecision<EventMessage<?>> decision;
                    try {
                        // Axon's task reads the event before it starts its unit of work: nothing was done for it.
                        decision = task.apply(current);
                    } catch (UndeserializableLetterException e) {
                        logUnreadable(current, e);
                        return current == firstPage.get(0) ? Outcome.HEAD_UNREADABLE : Outcome.STOPPED;
                    }
                    if (decision.shouldEnqueue()) {
                        Throwable cause = decision.enqueueCause().orElse(null);
                        StoredLetter updated = updated(current, letter -> decision.withDiagnostics(letter)
                                .withCause(cause));
                        store.requeueLeased(claim, updated, attemptOf(current, updated), claimDuration);
                        recorder().failed(current, cause);
                        AfterCommit.run(() -> observer.redeliveryFailed(processingGroup, messageOf(current), cause));
                        return Outcome.STOPPED;
                    }
                    long left = store.removeLeased(claim, current, claimDuration);
                    recorder().redelivered(current);
                    AfterCommit.run(() -> observer.redelivered(processingGroup, messageOf(current)));
                    if (left == 0) {
                        return Outcome.PROCESSED;
                    }
                }
                page = store.sequenceLetters(processingGroup, claim.sequenceKey(),
                                             page.get(page.size() - 1).sequenceIndex(), pageSize);
            }
            return Outcome.PROCESSED;
        } catch (LeaseLostException | NoSuchDeadLetterException e) {
            logger.warn("Stopped processing dead-letter sequence [{}] of processing group [{}]: {}",
                        claim.sequenceKey(), processingGroup, e.getMessage());
            return Outcome.STOPPED;
        } finally {
            store.release(claim);
        }
    }

    private QueueProcessingRecorder recorder() {
        QueueProcessingRecorder current = recorder.get();
        return current == null ? QueueProcessingRecorder.NONE : current;
    }

    /** The letter's event for the observer, which may ignore it; null rather than a failure after the change. */
    private static EventMessage<?> messageOf(StoredLetter letter) {
        try {
            return letter.message();
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void clear() {
        QueueProcessingRecorder recorder = recorder();
        recorder.inTransaction(() -> {
            int removed = store.evictGroup(processingGroup);
            if (removed > 0) {
                recorder.cleared(processingGroup, removed);
            }
            evicted(removed);
            return null;
        });
    }

    /**
     * Whoever calls Axon's queue API to remove letters (application code, an admin tool) removes them as an operator
     * would, outside {@code DeadLetterOperations}: counted so that {@code axon.dlq.evicted} still explains every
     * letter gone without redelivery (and audited by the recorder, in the removal's transaction).
     */
    private void evicted(int letters) {
        if (letters > 0) {
            AfterCommit.run(() -> observer.evicted(processingGroup, letters, DeadLetterObserver.EVICTED_BY_OPERATOR));
        }
    }

    private static StoredLetter stored(DeadLetter<?> letter) {
        if (letter instanceof StoredLetter stored) {
            return stored;
        }
        throw new WrongDeadLetterTypeException(
                "Expected a " + StoredLetter.class.getName() + ", got " + letter.getClass().getName());
    }

    /** Keyset iteration over pages, resuming after the last key seen. */
    private abstract static class PagingIterator<T, K> implements Iterator<T> {

        private final Function<K, List<T>> fetch;
        private final Function<T, K> keyOf;
        private final int pageSize;
        private K after;
        private Iterator<T> page = List.<T>of().iterator();
        private boolean exhausted;

        PagingIterator(K start, Function<K, List<T>> fetch, Function<T, K> keyOf, int pageSize) {
            this.after = start;
            this.fetch = fetch;
            this.keyOf = keyOf;
            this.pageSize = pageSize;
        }

        @Override
        public boolean hasNext() {
            if (!page.hasNext() && !exhausted) {
                List<T> next = fetch.apply(after);
                exhausted = next.size() < pageSize;
                page = next.iterator();
            }
            return page.hasNext();
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            T item = page.next();
            after = keyOf.apply(item);
            return item;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        Iterator<DeadLetter<? extends EventMessage<?>>> map() {
            return (Iterator) this;
        }
    }
}
