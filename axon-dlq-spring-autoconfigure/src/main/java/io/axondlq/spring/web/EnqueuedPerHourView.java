package io.axondlq.spring.web;

import io.axondlq.core.store.EnqueuedHour;

import java.time.Instant;
import java.util.List;

/**
 * Letters held now per group and hour of enqueueing ({@code GET /statistics/enqueued-per-hour}).
 *
 * @param from  start of the first hour (UTC, whole hour)
 * @param hours hours covered, the current one last
 * @param items one per group and hour with letters; hours without letters are left out
 */
public record EnqueuedPerHourView(Instant from, int hours, List<Hour> items) {

    /** Letters of one group enqueued in the hour starting at {@code hourStart}. */
    public record Hour(String processingGroup, Instant hourStart, long letters) {

        static Hour of(EnqueuedHour hour) {
            return new Hour(hour.processingGroup(), hour.hourStart(), hour.letters());
        }
    }
}
