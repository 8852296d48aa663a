package io.axondlq.core.operations;

import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.StoredLetter;

import java.io.IOException;
import java.util.List;

/** Where an {@link Export} writes its letters (the web adapter renders them as JSON or NDJSON). */
public interface LetterSink {

    void letter(StoredLetter letter, List<AttemptRecord> attempts) throws IOException;

    /** After each page of letters: the moment to flush. */
    default void pageEnd() throws IOException {
    }

    /** After the last letter; the export counts as done once this returns. */
    default void end() throws IOException {
    }
}
