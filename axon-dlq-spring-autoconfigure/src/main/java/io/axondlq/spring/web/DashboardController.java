package io.axondlq.spring.web;

import io.axondlq.core.store.DeadLetterStore;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The two reads the dashboard needs beyond the listings: who the caller is and what it may do ({@code GET /me}, so
 * that a reader sees no write controls; the API still refuses a forced write), and the letters held per hour of the
 * last 24 hours ({@code GET /statistics/enqueued-per-hour}, one store query for every group).
 */
@RestController
// JSON only: a client that accepts no application/json (another +json flavour included) is refused with 406 by
// DeadLetterFallbackController, instead of getting the records from the host's converters or labelled as a problem.
@RequestMapping(value = "${axon.dlq.rest.base-path:/dead-letters}", produces = MediaType.APPLICATION_JSON_VALUE)
public class DashboardController implements DeadLetterRestEndpoint {

    /** Hours the chart covers, the current one included. */
    static final int HOURS = 24;

    private final DeadLetterStore store;
    private final OperatorActor actor;
    private final ObjectProvider<DeadLetterAccess> access;
    private final Clock clock;
    private final int maxPageSize;

    public DashboardController(DeadLetterStore store, OperatorActor actor, ObjectProvider<DeadLetterAccess> access,
                               Clock clock, int maxPageSize) {
        this.store = store;
        this.actor = actor;
        this.access = access;
        this.clock = clock;
        this.maxPageSize = maxPageSize;
    }

    /**
     * The caller's name and whether it may read and write (the same decisions the API takes), and the largest page the
     * API serves.
     */
    @GetMapping("/me")
    public CallerView me(@RequestParam MultiValueMap<String, String> params, HttpServletRequest request) {
        RequestParameters.of(params);
        DeadLetterAccess decisions = access.getIfAvailable(() -> DeadLetterAccess.OPEN);
        return new CallerView(actor.current(request),
                              decisions.decide(request, false) == DeadLetterAccess.Decision.GRANTED,
                              decisions.decide(request, true) == DeadLetterAccess.Decision.GRANTED, maxPageSize);
    }

    /**
     * Letters held now per group and hour of enqueueing, for the last {@value #HOURS} hours (whole hours, UTC, the
     * current one last); hours without letters are left out of {@code items}.
     */
    @GetMapping("/statistics/enqueued-per-hour")
    public EnqueuedPerHourView enqueuedPerHour(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters.of(params);
        Instant from = clock.instant().truncatedTo(ChronoUnit.HOURS).minus(HOURS - 1, ChronoUnit.HOURS);
        return new EnqueuedPerHourView(from, HOURS, store.enqueuedPerHour(from).stream()
                                                         .map(EnqueuedPerHourView.Hour::of).toList());
    }
}
