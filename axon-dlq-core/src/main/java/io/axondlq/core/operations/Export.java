package io.axondlq.core.operations;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditTexts;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredLetter;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One export, prepared by {@link DeadLetterOperations#export}: its first page is read, nothing is audited yet.
 * {@link #writeTo} streams every matching letter in keyset pages (constant memory). The audit entry is committed
 * before the first letter leaves (outcome {@value DeadLetterOperations#STARTED}) and completed with the number of
 * letters written and how it ended, so an export cut off by a crash is still on record.
 */
public final class Export {

    private final DeadLetterOperations operations;
    private final String actor;
    private final String processingGroup;
    private final LetterFilter filter;
    private final String parameters;
    private final Page<StoredLetter> first;

    Export(DeadLetterOperations operations, String actor, String processingGroup, LetterFilter filter,
           String parameters, Page<StoredLetter> first) {
        this.operations = operations;
        this.actor = actor;
        this.processingGroup = processingGroup;
        this.filter = filter;
        this.parameters = parameters;
        this.first = first;
    }

    public String processingGroup() {
        return processingGroup;
    }

    /** @return letters written */
    public long writeTo(LetterSink sink) throws IOException {
        AuditEntry entry = operations.startExport(actor, processingGroup, parameters);
        UUID entryId = entry.id();
        long written = 0;
        try {
            Page<StoredLetter> page = first;
            while (true) {
                // The page's attempt histories in one statement, not one per letter.
                Map<UUID, List<AttemptRecord>> attempts =
                        operations.store().attempts(page.items().stream().map(StoredLetter::id).toList());
                for (StoredLetter letter : page.items()) {
                    sink.letter(letter, attempts.getOrDefault(letter.id(), List.of()));
                    written++;
                }
                sink.pageEnd();
                if (page.nextCursor() == null) {
                    break;
                }
                page = operations.store().letters(processingGroup, filter, DeadLetterOperations.EXPORT_PAGE_SIZE,
                                                   page.nextCursor());
            }
            sink.end();
        } catch (IOException | RuntimeException e) {
            try {
                // The type only, as for redeliveries: a message (a serializer's, a driver's) may quote letter data.
                operations.endExport(entryId, DeadLetterOperations.FAILURE,
                                     "stopped after " + AuditTexts.count(written, "letter") + ": "
                                             + e.getClass().getName());
            } catch (RuntimeException auditFailure) {
                e.addSuppressed(auditFailure);
            }
            throw e;
        }
        operations.endExport(entryId, DeadLetterOperations.SUCCESS, "exported " + AuditTexts.count(written, "letter"));
        return written;
    }
}
