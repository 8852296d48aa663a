package io.axondlq.core.operations;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.audit.AuditParameters;
import io.axondlq.core.audit.AuditTexts;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.QueueProcessingRecorder;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.StoredText;
import org.axonframework.messaging.deadletter.Cause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.UUID;
import java.util.function.Supplier;

import static io.axondlq.core.operations.DeadLetterOperations.ERASE_GROUP;
import static io.axondlq.core.operations.DeadLetterOperations.EVICT_LETTER;
import static io.axondlq.core.operations.DeadLetterOperations.FAILURE;
import static io.axondlq.core.operations.DeadLetterOperations.REDELIVER_LETTER;
import static io.axondlq.core.operations.DeadLetterOperations.SUCCESS;

/**
 * How {@link DeadLetterOperations} words its audit entries: one place that names the actor, logs each entry and
 * writes it to the {@link AuditLog}, in whatever transaction the caller holds; an entry written after a redelivery,
 * when there is none, in a transaction of its own ({@link #recordCommitted}).
 */
final class OperationsAudit {

    private static final int MAX_ACTOR = 255;
    private static final Logger logger = LoggerFactory.getLogger(OperationsAudit.class);

    private final AuditLog log;
    private final TransactionTemplate transaction;

    /** @param transaction the application's, for the entries written outside any transaction */
    OperationsAudit(AuditLog log, TransactionTemplate transaction) {
        this.log = log;
        this.transaction = transaction;
    }

    AuditLog log() {
        return log;
    }

    AuditEntry record(String actor, String action, String processingGroup, String target, String parameters,
                      String outcome, String detail) {
        String who = actor(actor);
        logger.info("axon-dlq operator action: actor={} action={} group={} target={} outcome={} detail={}",
                    who, action, processingGroup, target, outcome, detail);
        return log.record(who, action, processingGroup, target, parameters, outcome, detail);
    }

    AuditEntry record(String actor, String action, String processingGroup, String target,
                      AuditParameters parameters, String outcome, String detail) {
        return record(actor, action, processingGroup, target, parameters.json(), outcome, detail);
    }

    /**
     * Writes the entry in a transaction (the caller's, or one of its own that commits before this returns): after a
     * redelivery there is no caller's transaction, and an entry left to auto-commit is rolled back by a pool that does
     * not auto-commit ({@code spring.datasource.hikari.auto-commit=false}) when the connection is returned.
     */
    AuditEntry recordCommitted(String actor, String action, String processingGroup, String target, String parameters,
                               String outcome, String detail) {
        return transaction.execute(status -> record(actor, action, processingGroup, target, parameters, outcome,
                                                    detail));
    }

    boolean complete(UUID entryId, String outcome, String detail) {
        logger.info("axon-dlq operator action ended: entry={} outcome={} detail={}", entryId, outcome, detail);
        return log.complete(entryId, outcome, detail);
    }

    /**
     * Audits how a failed call ended ({@link #recordCommitted}) without hiding why it failed (the audit log itself may
     * be what failed).
     */
    void recordAfter(RuntimeException failure, String actor, String action, String processingGroup, String target,
                     String parameters, String outcome, String detail) {
        try {
            recordCommitted(actor, action, processingGroup, target, parameters, outcome, detail);
        } catch (RuntimeException e) {
            logger.warn("Could not audit {} of [{}] [{}]: {}", action, processingGroup, target, e.toString());
            failure.addSuppressed(e);
        }
    }

    /** Writes each letter's outcome, in the transaction that records that outcome. */
    RedeliveryRecorder redeliveryRecorder(String actor) {
        return new RedeliveryRecorder() {
            @Override
            public void redelivered(StoredLetter letter) {
                record(actor, REDELIVER_LETTER, letter.processingGroup(), letter.id().toString(), parameters(letter),
                       SUCCESS, "redelivered and removed");
            }

            @Override
            public void dropped(StoredLetter letter) {
                record(actor, REDELIVER_LETTER, letter.processingGroup(), letter.id().toString(), parameters(letter),
                       SUCCESS, "dropped by the upcaster chain and removed");
            }

            @Override
            public void failed(StoredLetter letter, Throwable failure) {
                record(actor, REDELIVER_LETTER, letter.processingGroup(), letter.id().toString(), parameters(letter),
                       FAILURE, "kept with attempt " + (letter.attempts() + 1) + ": " + failure.getClass().getName());
            }
        };
    }

    /**
     * Writes each letter's outcome of Axon's own dead-letter processing ({@code GroupDeadLetterQueue.process}, which
     * {@code sequencedDeadLetterProcessor(group)} calls) as {@value DeadLetterOperations#REDELIVER_LETTER} with
     * parameter {@code via}: in the transaction that records the outcome (Axon's unit of work), or in one of its own
     * when the caller runs without one. Removals through Axon's queue API ({@code evict}, {@code clear}) as
     * {@value DeadLetterOperations#EVICT_LETTER} and {@value DeadLetterOperations#ERASE_GROUP} with parameter
     * {@code via} = {@code removalVia}, in the removal's transaction.
     */
    QueueProcessingRecorder queueProcessingRecorder(String actor, String via, String removalVia) {
        return new QueueProcessingRecorder() {
            @Override
            public void evicted(StoredLetter letter) {
                record(actor, EVICT_LETTER, letter.processingGroup(), letter.id().toString(),
                       parameters(letter).put("via", removalVia), SUCCESS,
                       "removed 1 letter of sequence [" + letter.sequenceKey() + "] through " + removalVia);
            }

            @Override
            public void cleared(String processingGroup, int letters) {
                record(actor, ERASE_GROUP, processingGroup, processingGroup,
                       AuditParameters.of().put("processingGroup", processingGroup).put("via", removalVia), SUCCESS,
                       "removed " + AuditTexts.count(letters, "letter") + " through " + removalVia);
            }

            @Override
            public <T> T inTransaction(Supplier<T> removal) {
                return transaction.execute(status -> removal.get());
            }

            @Override
            public void redelivered(StoredLetter letter) {
                recordCommitted(actor, REDELIVER_LETTER, letter.processingGroup(), letter.id().toString(),
                                parameters(letter).put("via", via).json(), SUCCESS, "redelivered and removed by " + via);
            }

            @Override
            public void failed(StoredLetter letter, Throwable cause) {
                recordCommitted(actor, REDELIVER_LETTER, letter.processingGroup(), letter.id().toString(),
                                parameters(letter).put("via", via).json(), FAILURE,
                                "kept with attempt " + (letter.attempts() + 1) + " by " + via
                                        + (cause == null ? "" : ": " + typeOf(cause)));
            }
        };
    }

    /** Per-letter entries first, then {@code also} in the same transaction. */
    RedeliveryRecorder redeliveryRecorder(String actor, RedeliveryRecorder also) {
        RedeliveryRecorder letters = redeliveryRecorder(actor);
        return also == null || also == RedeliveryRecorder.NONE ? letters : new RedeliveryRecorder() {
            @Override
            public void redelivered(StoredLetter letter) {
                letters.redelivered(letter);
                also.redelivered(letter);
            }

            @Override
            public void dropped(StoredLetter letter) {
                letters.dropped(letter);
                also.dropped(letter);
            }

            @Override
            public void failed(StoredLetter letter, Throwable failure) {
                letters.failed(letter, failure);
                also.failed(letter, failure);
            }

            @Override
            public void concluded(RedeliveryResult result) {
                also.concluded(result);
            }
        };
    }

    /** The failure's type, never its message; Axon's enqueue policy hands over the cause wrapped as a {@link Cause}. */
    private static String typeOf(Throwable cause) {
        return cause instanceof Cause wrapped ? wrapped.type() : cause.getClass().getName();
    }

    private static AuditParameters parameters(StoredLetter letter) {
        return AuditParameters.of().put("letterId", letter.id().toString())
                              .put("sequenceKey", letter.sequenceKey())
                              .put("sequenceIndex", Long.toString(letter.sequenceIndex()));
    }

    static String actor(String actor) {
        if (actor == null || actor.isBlank()) {
            return DeadLetterOperations.ANONYMOUS;
        }
        // Cleaned as the log's other texts are: a NUL would fail the insert, and with it the change it records.
        return StoredText.text(actor, MAX_ACTOR);
    }

    static String outcome(RedeliveryResult result) {
        return switch (result.outcome()) {
            case DRAINED, NOT_FOUND, LIMIT_REACHED -> SUCCESS;
            case FAILED, UNREADABLE, LEASE_LOST -> FAILURE;
        };
    }
}
