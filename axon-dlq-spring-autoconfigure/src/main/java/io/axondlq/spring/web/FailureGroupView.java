package io.axondlq.spring.web;

import io.axondlq.core.store.FailureGroup;

import java.time.Instant;

/** The letters of a processing group that failed with one cause type. */
public record FailureGroupView(String causeType, long letters, Instant firstSeen, Instant lastSeen) {

    static FailureGroupView of(FailureGroup g) {
        return new FailureGroupView(g.causeType(), g.letters(), g.firstSeen(), g.lastSeen());
    }
}
