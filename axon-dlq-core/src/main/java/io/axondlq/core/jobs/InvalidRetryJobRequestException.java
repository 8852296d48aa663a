package io.axondlq.core.jobs;

/**
 * A {@link RetryJobRequest} that cannot become a job: a member out of range, or text the database cannot store or
 * compare (NUL, longer than its column). Thrown before anything is written. An {@link IllegalArgumentException}, as
 * the request's checks always were.
 */
public class InvalidRetryJobRequestException extends IllegalArgumentException {

    private final String member;
    private final String problem;

    /**
     * @param member  the request's component, e.g. {@code causeType}
     * @param problem what is wrong with it, e.g. {@code must not contain NUL characters}
     */
    public InvalidRetryJobRequestException(String member, String problem) {
        super(member + " " + problem);
        this.member = member;
        this.problem = problem;
    }

    /** The {@link RetryJobRequest} component at fault: {@code processingGroup}, {@code causeType}, ... */
    public String member() {
        return member;
    }

    /** What is wrong with it, without the member's name. */
    public String problem() {
        return problem;
    }
}
