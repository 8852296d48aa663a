package io.axondlq.core.audit;

/** Wording shared by audit details, which operators read in the dashboard and the REST API. */
public final class AuditTexts {

    private AuditTexts() {
    }

    /** {@code "1 letter"}, {@code "2 letters"}: a count and its noun, singular for one. */
    public static String count(long count, String noun) {
        return count + " " + (count == 1 ? noun : noun + "s");
    }
}
