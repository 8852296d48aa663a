package io.axondlq.core.operations;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.audit.AuditParameters;
import io.axondlq.core.audit.AuditTexts;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryInTransactionException;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.QueueProcessingRecorder;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.StoredText;
import io.axondlq.core.tx.AfterCommit;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Every operator action on dead letters, whoever asks (REST, the Java API, the dashboard; retry jobs and automatic
 * retry redeliver through {@link #redeliverLetters}): it performs the
 * change, writes its audit entry in the same transaction (the application's transaction manager, so a crash or a
 * failed audit insert never leaves a change without its entry) and, once committed, tells the
 * {@link DeadLetterObserver} (metrics). A redelivery audits each letter's outcome in the transaction that records
 * that outcome, plus one entry for the call. Reads that show payloads (a letter's detail, an export) are audited too.
 * <p>
 * {@code actor} is who acts, as the audit log should name them; blank means {@value #ANONYMOUS}.
 * <p>
 * Every method taking a group or a sequence key checks it before it reads or changes anything, so that bad input is a
 * typed refusal without an audit entry, never a database error: a group name that is null, blank, holds U+0000 or is
 * longer than {@value #MAX_GROUP_LENGTH} characters → {@link InvalidProcessingGroupException}; a key that no stored
 * key can equal (null, holding U+0000 or a lone surrogate, longer than {@value #MAX_SEQUENCE_KEY_BYTES} UTF-8 bytes)
 * → {@link UnknownSequenceException}.
 */
public class DeadLetterOperations {

    public static final String ANONYMOUS = "anonymous";
    /** Actor of what no person asked for directly: automatic retries, job ends, Axon's dead-letter processor. */
    public static final String SYSTEM = "system";
    /** {@code via} parameter of the letters Axon's own dead-letter processing resolves. */
    public static final String AXON_DEAD_LETTER_PROCESSOR = "axon-dead-letter-processor";
    /** {@code via} parameter of the letters removed through Axon's queue API ({@code evict}, {@code clear}). */
    public static final String AXON_QUEUE_API = "axon-queue-api";
    /** Letters one synchronous sequence redelivery handles at most, unless configured otherwise. */
    public static final int DEFAULT_MAX_LETTERS_PER_REQUEST = 1000;

    public static final String EVICT_LETTER = "evict-letter";
    public static final String EVICT_SEQUENCE = "evict-sequence";
    public static final String ERASE_GROUP = "erase-group";
    public static final String REDELIVER_SEQUENCE = "redeliver-sequence";
    public static final String REDELIVER_OLDEST = "redeliver-oldest";
    /** One letter's outcome within a redelivery. */
    public static final String REDELIVER_LETTER = "redeliver-letter";
    public static final String EXPORT = "export";
    public static final String READ_LETTER = "read-letter";

    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";
    public static final String REJECTED = "rejected";
    /** An export whose letters are leaving; replaced by its end, kept if the node died meanwhile. */
    public static final String STARTED = "started";

    public static final int EXPORT_PAGE_SIZE = 500;
    /** Longest processing group name the store's group columns hold. */
    public static final int MAX_GROUP_LENGTH = 255;
    /**
     * Longest stored sequence key, in UTF-8 bytes: the key columns' size ({@code io.axondlq.jdbc.SequenceKeys} hashes
     * longer keys, and keys holding U+0000 or a lone surrogate, so no stored key has them).
     */
    public static final int MAX_SEQUENCE_KEY_BYTES = 1024;

    private final DeadLetterStore store;
    private final OperationsAudit audit;
    private final TransactionTemplate transaction;
    private final DeadLetterObserver observer;
    private final Supplier<DeadLetterRedeliverer> redeliverer;
    private final int maxLettersPerRequest;

    /**
     * With {@value #DEFAULT_MAX_LETTERS_PER_REQUEST} letters at most per synchronous sequence redelivery.
     *
     * @see #DeadLetterOperations(DeadLetterStore, AuditLog, PlatformTransactionManager, DeadLetterObserver, Supplier, int)
     */
    public DeadLetterOperations(DeadLetterStore store, AuditLog audit, PlatformTransactionManager transactionManager,
                                DeadLetterObserver observer, Supplier<DeadLetterRedeliverer> redeliverer) {
        this(store, audit, transactionManager, observer, redeliverer, DEFAULT_MAX_LETTERS_PER_REQUEST);
    }

    /**
     * @param transactionManager the application's, the one the store joins: the change and its audit entry share
     *                           its transaction
     * @param redeliverer        the redeliverer once Axon has built the processors; null from it means redelivery is
     *                           not available (no axon-dlq event processing module)
     * @param maxLettersPerRequest most letters one {@link #redeliverSequence} or {@link #redeliverOldest} call handles
     *                             (the caller's thread waits for them); the rest stay for another call or a retry job
     *                             ({@link RedeliveryResult.Outcome#LIMIT_REACHED}). Retry jobs and automatic retry
     *                             ({@link #redeliverLetters}) have no such limit.
     * @throws IllegalArgumentException when {@code maxLettersPerRequest < 1}
     */
    public DeadLetterOperations(DeadLetterStore store, AuditLog audit, PlatformTransactionManager transactionManager,
                                DeadLetterObserver observer, Supplier<DeadLetterRedeliverer> redeliverer,
                                int maxLettersPerRequest) {
        if (maxLettersPerRequest < 1) {
            throw new IllegalArgumentException("maxLettersPerRequest must be >= 1, was " + maxLettersPerRequest);
        }
        this.maxLettersPerRequest = maxLettersPerRequest;
        this.store = Objects.requireNonNull(store, "store");
        this.transaction = new TransactionTemplate(Objects.requireNonNull(transactionManager, "transactionManager"));
        this.audit = new OperationsAudit(Objects.requireNonNull(audit, "audit"), transaction);
        this.observer = observer == null ? DeadLetterObserver.NOOP : observer;
        this.redeliverer = redeliverer == null ? () -> null : redeliverer;
    }

    public record LetterEviction(StoredLetter letter, int removed) {
    }

    public record SequenceEviction(String processingGroup, String sequenceKey, int removed) {
    }

    public record LetterDetail(StoredLetter letter, List<AttemptRecord> attempts) {
    }

    // --- reads ----------------------------------------------------------------------------------------------------

    /** The letter, or {@link UnknownLetterException}; not audited (it shows no payload by itself). */
    public StoredLetter letter(UUID letterId) {
        return store.letter(letterId).orElseThrow(() -> new UnknownLetterException(letterId));
    }

    /**
     * A letter with its attempt history, for display. When {@code showsPayload}, the read is audited
     * ({@value #READ_LETTER}) in the same transaction as the read.
     */
    public LetterDetail letterDetail(String actor, UUID letterId, boolean showsPayload) {
        return transaction.execute(status -> {
            StoredLetter letter = letter(letterId);
            List<AttemptRecord> attempts = store.attempts(letterId);
            if (showsPayload) {
                audit.record(actor, READ_LETTER, letter.processingGroup(), letterId.toString(),
                       AuditParameters.of().put("letterId", letterId.toString()), SUCCESS,
                       "letter of sequence [" + letter.sequenceKey() + "] shown with its payload");
            }
            return new LetterDetail(letter, attempts);
        });
    }

    /**
     * Prepares an export: reads the first page now, so that a bad filter or cursor fails before anything is written.
     * Nothing is audited until {@link Export#writeTo} streams letters.
     *
     * @param description what the audit entry should say about the export beyond group and filter (format, payload
     *                    mode), as name/value pairs; may be null
     */
    public Export export(String actor, String processingGroup, LetterFilter filter, String... description) {
        requireGroupName(processingGroup);
        AuditParameters parameters = AuditParameters.of().put("processingGroup", processingGroup);
        if (description != null) {
            for (int i = 0; i + 1 < description.length; i += 2) {
                parameters.put(description[i], description[i + 1]);
            }
        }
        parameters.put("filter", filter);
        return new Export(this, OperationsAudit.actor(actor), processingGroup, filter, parameters.json(),
                          store.letters(processingGroup, filter, EXPORT_PAGE_SIZE, null));
    }

    /** The audit log, oldest first, keyset paged. */
    public Page<AuditEntry> auditEntries(int limit, String cursor) {
        return auditEntries(AuditFilter.none(), limit, cursor);
    }

    /**
     * The audit entries the filter selects, oldest first, keyset paged (pass the same filter with a cursor). Not a
     * gap-free tail while entries are written: see {@link AuditLog#list(AuditFilter, int, String)}.
     */
    public Page<AuditEntry> auditEntries(AuditFilter filter, int limit, String cursor) {
        return audit.log().list(filter, limit, cursor);
    }

    // --- evictions ------------------------------------------------------------------------------------------------

    public LetterEviction evictLetter(String actor, UUID letterId) {
        LetterEviction eviction = transaction.execute(status -> {
            StoredLetter letter = letter(letterId);
            int removed = store.evictLetter(letterId);
            if (removed == 0) {
                throw new UnknownLetterException(letterId);
            }
            audit.record(actor, EVICT_LETTER, letter.processingGroup(), letterId.toString(),
                   AuditParameters.of().put("letterId", letterId.toString()), SUCCESS,
                   "removed " + removed + " letter of sequence [" + letter.sequenceKey() + "]");
            return new LetterEviction(letter, removed);
        });
        evicted(eviction.letter().processingGroup(), eviction.removed());
        return eviction;
    }

    /** @throws UnknownSequenceException when the group has no such sequence; nothing is audited then */
    public SequenceEviction evictSequence(String actor, String processingGroup, String sequenceKey) {
        requireArguments(processingGroup, sequenceKey);
        SequenceEviction eviction = transaction.execute(status -> {
            requireSequence(processingGroup, sequenceKey);
            int removed = store.evictSequence(processingGroup, sequenceKey);
            audit.record(actor, EVICT_SEQUENCE, processingGroup, sequenceKey, AuditParameters.of()
                           .put("processingGroup", processingGroup).put("sequenceKey", sequenceKey),
                   SUCCESS, "removed " + AuditTexts.count(removed, "letter"));
            return new SequenceEviction(processingGroup, sequenceKey, removed);
        });
        evicted(processingGroup, eviction.removed());
        return eviction;
    }

    /** The sequence of a letter: for keys that a path cannot carry. */
    public SequenceEviction evictSequenceOf(String actor, UUID letterId) {
        StoredLetter letter = letter(letterId);
        return evictSequence(actor, letter.processingGroup(), letter.sequenceKey());
    }

    /**
     * Removes every letter of the group. A group that runs with axon-dlq on this node is known without letters, as
     * the REST API lists and accepts it: erasing it then removes 0 letters and is audited as such.
     *
     * @return letters removed
     * @throws InvalidProcessingGroupException when the name is null, blank, holds U+0000 or is too long; nothing is
     *                                         audited
     * @throws UnknownProcessingGroupException when the group neither runs on this node nor has letters; nothing is
     *                                         audited
     */
    public int eraseGroup(String actor, String processingGroup) {
        requireGroupName(processingGroup);
        // Checked before the transaction: a refusal inside it would mark a caller's transaction rollback-only.
        if (!runsHere(processingGroup) && !hasLetters(processingGroup)) {
            throw new UnknownProcessingGroupException(processingGroup);
        }
        int removed = transaction.execute(status -> {
            int count = store.evictGroup(processingGroup);
            audit.record(actor, ERASE_GROUP, processingGroup, processingGroup, AuditParameters.of()
                           .put("processingGroup", processingGroup).put("confirm", processingGroup),
                   SUCCESS, "removed " + AuditTexts.count(count, "letter"));
            return count;
        });
        evicted(processingGroup, removed);
        return removed;
    }

    // --- redelivery -----------------------------------------------------------------------------------------------

    /**
     * Redelivers one sequence, oldest letter first, until it is drained, a letter fails again, or the letter limit
     * per request is reached ({@link RedeliveryResult.Outcome#LIMIT_REACHED}, with the letters left in
     * {@code remaining}: a second call goes on where this one stopped).
     *
     * @throws RedeliveryUnavailableException  without axon-dlq's event processing module
     * @throws UnknownSequenceException        when there is no such sequence (or it went away before the claim)
     * @throws UnknownProcessingGroupException when the group does not run here
     * @throws SequenceClaimedException        when another node holds it (audited as rejected)
     * @throws RedeliveryInTransactionException when called inside a transaction or an Axon unit of work (so from
     *                                          every redelivering method of this class); nothing is audited or changed
     */
    public RedeliveryResult redeliverSequence(String actor, String processingGroup, String sequenceKey) {
        requireArguments(processingGroup, sequenceKey);
        // Before anything: refused here, it is not audited as a failure in the caller's transaction either.
        RedeliveryInTransactionException.requireNone(
                "sequence [" + sequenceKey + "] of processing group [" + processingGroup + "]");
        DeadLetterRedeliverer redelivery = redeliverer();
        requireSequence(processingGroup, sequenceKey);
        String who = OperationsAudit.actor(actor);
        String parameters = AuditParameters.of().put("processingGroup", processingGroup)
                                            .put("sequenceKey", sequenceKey).json();
        RedeliveryResult result;
        try {
            result = redelivery.redeliver(processingGroup, sequenceKey, audit.redeliveryRecorder(who),
                                          maxLettersPerRequest);
        } catch (SequenceClaimedException e) {
            audit.recordAfter(e, who, REDELIVER_SEQUENCE, processingGroup, sequenceKey, parameters, REJECTED,
                        e.getMessage());
            throw e;
        } catch (UnknownProcessingGroupException e) {
            throw e;
        } catch (RuntimeException e) {
            audit.recordAfter(e, who, REDELIVER_SEQUENCE, processingGroup, sequenceKey, parameters, FAILURE,
                        e.getClass().getName());
            throw e;
        }
        if (result.outcome() == RedeliveryResult.Outcome.NOT_FOUND) {
            // Evicted or drained by someone else between our check and the claim.
            throw new UnknownSequenceException(processingGroup, sequenceKey);
        }
        audit.recordCommitted(who, REDELIVER_SEQUENCE, processingGroup, sequenceKey, parameters,
                              OperationsAudit.outcome(result), result.auditSummary());
        return result;
    }

    /** The sequence of a letter (any key). */
    public RedeliveryResult redeliverSequenceOf(String actor, UUID letterId) {
        StoredLetter letter = letter(letterId);
        return redeliverSequence(actor, letter.processingGroup(), letter.sequenceKey());
    }

    /**
     * "Retry one": the sequence that waited longest, skipping sequences leased by someone else; with the same letter
     * limit as {@link #redeliverSequence}.
     */
    public RedeliveryResult redeliverOldest(String actor, String processingGroup) {
        requireGroupName(processingGroup);
        // Before the redeliverer's own check: refused here, it is not audited as a failure in the caller's transaction.
        RedeliveryInTransactionException.requireNone(
                "the oldest sequence of processing group [" + processingGroup + "]");
        DeadLetterRedeliverer redelivery = redeliverer();
        String who = OperationsAudit.actor(actor);
        String parameters = AuditParameters.of().put("processingGroup", processingGroup).json();
        RedeliveryResult result;
        try {
            result = redelivery.redeliverOldest(processingGroup, audit.redeliveryRecorder(who), maxLettersPerRequest);
        } catch (UnknownProcessingGroupException e) {
            throw e;
        } catch (RuntimeException e) {
            audit.recordAfter(e, who, REDELIVER_OLDEST, processingGroup, null, parameters, FAILURE,
                        e.getClass().getName());
            throw e;
        }
        audit.recordCommitted(who, REDELIVER_OLDEST, processingGroup, result.sequenceKey(), parameters,
                              OperationsAudit.outcome(result), result.auditSummary());
        return result;
    }

    /**
     * Redelivers a whole sequence (no letter limit) with each letter's outcome audited in its transaction, without an
     * entry for the call: for callers that record the call themselves (retry jobs, automatic retry).
     *
     * @throws RedeliveryUnavailableException without axon-dlq's event processing module
     * @throws SequenceClaimedException       when another node holds it
     * @throws UnknownSequenceException       for a key no stored key can equal (a key merely not stored: NOT_FOUND)
     */
    public RedeliveryResult redeliverLetters(String actor, String processingGroup, String sequenceKey) {
        return redeliverLetters(actor, processingGroup, sequenceKey, RedeliveryRecorder.NONE);
    }

    /**
     * {@link #redeliverLetters(String, String, String)} where {@code also} hears every outcome after the letter's
     * audit entry, in the same transaction; its {@link RedeliveryRecorder#concluded} lets the caller write its own
     * record of the redelivery (automatic retry: the retry count and its audit entry) with the change that ends it.
     */
    public RedeliveryResult redeliverLetters(String actor, String processingGroup, String sequenceKey,
                                             RedeliveryRecorder also) {
        return redeliverLetters(actor, processingGroup, sequenceKey, also, () -> false);
    }

    /**
     * {@link #redeliverLetters(String, String, String, RedeliveryRecorder)} that ends between letters once
     * {@code stopRequested} answers true, as
     * {@link DeadLetterRedeliverer#redeliver(String, String, RedeliveryRecorder, int, BooleanSupplier)} does: for
     * background work that must end when the application stops.
     */
    public RedeliveryResult redeliverLetters(String actor, String processingGroup, String sequenceKey,
                                             RedeliveryRecorder also, BooleanSupplier stopRequested) {
        requireArguments(processingGroup, sequenceKey);
        return redeliverer().redeliver(processingGroup, sequenceKey,
                                       audit.redeliveryRecorder(OperationsAudit.actor(actor), also),
                                       Integer.MAX_VALUE, stopRequested);
    }

    /**
     * {@link #redeliverLetters(String, String, String, RedeliveryRecorder)} for background work (retry jobs, automatic
     * retry): only where the group's processor is running on this node, so that a processor stopped here (by the
     * application or an operator) runs no handler here; an operator's own redelivery is not held back.
     *
     * @throws io.axondlq.core.redelivery.ProcessorNotRunningException when the group's processor is not running here;
     *                                                                 nothing is claimed or changed
     */
    public RedeliveryResult redeliverLettersWhereProcessorRuns(String actor, String processingGroup,
                                                              String sequenceKey) {
        return redeliverLettersWhereProcessorRuns(actor, processingGroup, sequenceKey, RedeliveryRecorder.NONE);
    }

    /**
     * {@link #redeliverLettersWhereProcessorRuns(String, String, String)} where {@code also} hears every outcome, as
     * in {@link #redeliverLetters(String, String, String, RedeliveryRecorder)}.
     */
    public RedeliveryResult redeliverLettersWhereProcessorRuns(String actor, String processingGroup,
                                                              String sequenceKey, RedeliveryRecorder also) {
        return redeliverLettersWhereProcessorRuns(actor, processingGroup, sequenceKey, also, () -> false);
    }

    /**
     * {@link #redeliverLettersWhereProcessorRuns(String, String, String, RedeliveryRecorder)} that ends between
     * letters once {@code stopRequested} answers true (retry jobs and automatic retry pass their worker's stop), as in
     * {@link #redeliverLetters(String, String, String, RedeliveryRecorder, BooleanSupplier)}.
     */
    public RedeliveryResult redeliverLettersWhereProcessorRuns(String actor, String processingGroup,
                                                              String sequenceKey, RedeliveryRecorder also,
                                                              BooleanSupplier stopRequested) {
        requireArguments(processingGroup, sequenceKey);
        redeliverer().requireProcessorRunning(processingGroup);
        return redeliverLetters(actor, processingGroup, sequenceKey, also, stopRequested);
    }

    /**
     * Audits the letters Axon's own dead-letter processing resolves
     * ({@code EventProcessingConfiguration.sequencedDeadLetterProcessor(group)}, i.e.
     * {@code GroupDeadLetterQueue.process}), for {@code GroupDeadLetterQueue.observedBy}: each letter's outcome as
     * {@value #REDELIVER_LETTER} by {@value #SYSTEM} with parameter {@code via} = {@value #AXON_DEAD_LETTER_PROCESSOR},
     * in the transaction of the letter's eviction or requeue (Axon's unit of work), or one of its own without one.
     * Letters removed through Axon's queue API ({@code evict}, {@code clear} on {@code deadLetterQueue(group)}) as
     * {@value #EVICT_LETTER} and {@value #ERASE_GROUP} by {@value #SYSTEM} with {@code via} = {@value #AXON_QUEUE_API},
     * in the removal's transaction (the caller's, or one of this service's transaction manager). The queue, not this
     * service, tells the observer (once that transaction commits).
     */
    public QueueProcessingRecorder axonProcessingRecorder() {
        return audit.queueProcessingRecorder(SYSTEM, AXON_DEAD_LETTER_PROCESSOR, AXON_QUEUE_API);
    }

    /** Most letters one synchronous sequence redelivery handles. */
    public int maxLettersPerRequest() {
        return maxLettersPerRequest;
    }

    // --- shared ---------------------------------------------------------------------------------------------------

    AuditEntry startExport(String actor, String processingGroup, String parameters) {
        // Committed before the first letter leaves: who exported what survives even a crash mid-stream.
        return transaction.execute(status -> audit.record(actor, EXPORT, processingGroup, processingGroup, parameters,
                                                          STARTED, "streaming"));
    }

    void endExport(UUID entryId, String outcome, String detail) {
        transaction.executeWithoutResult(status -> audit.complete(entryId, outcome, detail));
    }

    List<AttemptRecord> attempts(UUID letterId) {
        return store.attempts(letterId);
    }

    DeadLetterStore store() {
        return store;
    }

    private DeadLetterRedeliverer redeliverer() {
        DeadLetterRedeliverer result = redeliverer.get();
        if (result == null) {
            throw new RedeliveryUnavailableException();
        }
        return result;
    }

    private static void requireGroupName(String processingGroup) {
        if (processingGroup == null || processingGroup.isBlank()) {
            throw new InvalidProcessingGroupException(processingGroup, "must not be null or blank");
        }
        // PostgreSQL's text cannot hold U+0000: it would be a database error, not a refusal.
        if (processingGroup.indexOf('\0') >= 0) {
            throw new InvalidProcessingGroupException(processingGroup, "must not contain NUL characters");
        }
        if (processingGroup.length() > MAX_GROUP_LENGTH) {
            throw new InvalidProcessingGroupException(processingGroup, "must be at most " + MAX_GROUP_LENGTH
                    + " characters, was " + processingGroup.length());
        }
    }

    /** A key no stored key can equal never reaches SQL: a NUL is a database error, a lone surrogate could match "?". */
    private static void requireArguments(String processingGroup, String sequenceKey) {
        requireGroupName(processingGroup);
        if (sequenceKey == null || !StoredText.storableAsIs(sequenceKey, MAX_SEQUENCE_KEY_BYTES)) {
            throw new UnknownSequenceException(processingGroup, sequenceKey);
        }
    }

    /** As the REST API decides which groups it knows: running ones, and any that has letters. */
    private boolean runsHere(String processingGroup) {
        DeadLetterRedeliverer running = redeliverer.get();
        return running != null && running.runs(processingGroup);
    }

    private boolean hasLetters(String processingGroup) {
        return !store.letters(processingGroup, LetterFilter.none(), 1, null).items().isEmpty();
    }

    private void requireSequence(String processingGroup, String sequenceKey) {
        if (store.sequence(processingGroup, sequenceKey).isEmpty()) {
            throw new UnknownSequenceException(processingGroup, sequenceKey);
        }
    }

    /** Reported once the eviction commits: in a caller's transaction, which the eviction joins, when that one does. */
    private void evicted(String processingGroup, int removed) {
        if (removed > 0) {
            AfterCommit.run(() -> observer.evicted(processingGroup, removed, DeadLetterObserver.EVICTED_BY_OPERATOR));
        }
    }
}
