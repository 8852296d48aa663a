package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.store.Page;
import io.axondlq.spring.properties.PayloadMode;

import java.time.Instant;
import java.util.List;

/**
 * A retry job with one page of its per-sequence outcomes ({@code GET /retry-jobs/{id}}, and the answer to creating and
 * stopping one).
 *
 * @param nextCursor the cursor of the next page of outcomes; null on the last
 */
public record RetryJobDetail(@JsonUnwrapped RetryJobView job, List<SequenceOutcomeView> sequences, String nextCursor) {

    /**
     * @param outcome PENDING, DRAINED, FAILED, UNREADABLE, NOT_FOUND; CLAIMED (held by another node: skipped) in jobs of
     *                earlier versions only
     */
    public record SequenceOutcomeView(String sequenceKey, String outcome, int redelivered, long remaining,
                                      String detail, Instant finishedAt) {
    }

    /** The outcomes' failure messages masked unless {@code mode} is {@code FULL}: they may quote the payload. */
    static RetryJobDetail of(RetryJob job, Page<RetryJob.SequenceOutcome> outcomes, PayloadMode mode) {
        List<SequenceOutcomeView> sequences = outcomes.items() == null ? List.of() : outcomes.items().stream().map(
                o -> new SequenceOutcomeView(o.sequenceKey(), o.outcome(), o.redelivered(), o.remaining(),
                                             mode == PayloadMode.FULL ? o.detail()
                                                     : LetterMasking.maskOutcomeDetail(o.detail()),
                                             o.finishedAt())).toList();
        return new RetryJobDetail(RetryJobView.of(job), sequences, outcomes.nextCursor());
    }
}
