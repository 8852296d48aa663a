package io.axondlq.spring.web;

import io.axondlq.core.jobs.InvalidRetryJobRequestException;
import io.axondlq.core.jobs.RetryJobRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.boot.convert.DurationStyle;

import java.time.Duration;
import java.time.Instant;

/**
 * The body of {@code POST /retry-jobs}. Bound strictly by {@link ApiMessageConverter} (unknown members, wrong types,
 * duplicate keys → 400) and checked by Bean Validation when the application has a provider; {@link #toRequest()} then
 * reads the members that are text on the wire (dates, the cooldown), applies the defaults and runs the core's own
 * checks ({@link RetryJobRequest#requireCreatable()}), so that without a provider a value the database cannot take
 * (NUL, a type longer than its column) is still a 400 naming the member.
 *
 * @param batchSize    sequences redelivered per batch; default {@value RetryJobController#DEFAULT_BATCH_SIZE}
 * @param cooldown     pause between batches, ISO-8601 ({@code PT1S}) or simple ({@code 500ms}); default 1s
 * @param maxSequences at most this many sequences are retried; default
 *                     {@value RetryJobController#DEFAULT_MAX_SEQUENCES}
 */
public record RetryJobBody(
        @NotBlank @Size(max = RequestParameters.MAX_NAME_LENGTH) @Pattern(regexp = NO_NUL) String processingGroup,
        @Valid FilterBody filter,
        @Min(1) @Max(RetryJobRequest.MAX_BATCH_SIZE) Integer batchSize,
        @Size(max = 64) String cooldown,
        @Min(1) @Max(RetryJobRequest.MAX_SEQUENCES) Integer maxSequences) {

    /** Any characters but NUL, which no database stores in text. */
    static final String NO_NUL = "[^\\x00]*";

    /**
     * Which letters' sequences to retry; every member optional.
     *
     * @param from ISO-8601 instant, offset date-time or date (start of day UTC), years 0001 to 9999
     * @param to   as {@code from}, after it
     */
    public record FilterBody(
            @Size(max = RequestParameters.MAX_TYPE_LENGTH) @Pattern(regexp = NO_NUL) String causeType,
            @Size(max = RequestParameters.MAX_TYPE_LENGTH) @Pattern(regexp = NO_NUL) String payloadType,
            @Size(max = 64) String from,
            @Size(max = 64) String to) {
    }

    /**
     * The job request, defaults applied and checked as the core checks a new job's request; a member that cannot be
     * read or is refused is named.
     */
    RetryJobRequest toRequest() {
        FilterBody f = filter == null ? new FilterBody(null, null, null, null) : filter;
        Instant from = instant("from", f.from());
        Instant to = instant("to", f.to());
        if (from != null && to != null && !from.isBefore(to)) {
            throw member("filter.from", "must be before filter.to");
        }
        try {
            return new RetryJobRequest(processingGroup, emptyToNull(f.causeType()), emptyToNull(f.payloadType()),
                                       from, to,
                                       batchSize == null ? RetryJobController.DEFAULT_BATCH_SIZE : batchSize,
                                       duration(), maxSequences == null ? RetryJobController.DEFAULT_MAX_SEQUENCES
                                               : maxSequences)
                    .requireCreatable();
        } catch (InvalidRetryJobRequestException e) {
            throw refused(e);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw DeadLetterApiException.badBody(e.getMessage());
        }
    }

    /** The core's refusal of a request as this body's: the member as the body names it ({@code filter.causeType}). */
    static DeadLetterApiException refused(InvalidRetryJobRequestException e) {
        String name = switch (e.member()) {
            case "causeType", "payloadType", "from", "to" -> "filter." + e.member();
            default -> e.member();
        };
        return member(name, e.problem());
    }

    private static Instant instant(String name, String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        Instant instant = ApiInstants.parse(text.trim());
        if (instant == null) {
            throw member("filter." + name, "must be an ISO-8601 instant " + ApiInstants.RANGE
                    + " such as 2024-05-01T10:00:00Z");
        }
        return instant;
    }

    private Duration duration() {
        if (cooldown == null) {
            return RetryJobController.DEFAULT_COOLDOWN;
        }
        try {
            return DurationStyle.detectAndParse(cooldown.trim());
        } catch (RuntimeException e) {
            throw member("cooldown", "must be a duration such as \"PT2S\" or \"500ms\", was ["
                    + RequestParameters.shorten(cooldown) + "]");
        }
    }

    private static String emptyToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    static DeadLetterApiException member(String name, String problem) {
        return DeadLetterApiException.badBody("[" + name + "] " + problem).with("member", name);
    }
}
