package io.axondlq.spring.properties;

/** Synchronous redelivery: a sequence redelivered on the caller's thread (REST, the Java API). */
public class Redelivery {

    /**
     * Most letters one synchronous sequence redelivery ({@code .../sequences/{key}/redeliver},
     * {@code /letters/{id}/redeliver-sequence}, {@code redeliver-oldest}, the Java API) handles; the request then
     * answers {@code LIMIT_REACHED} with the letters left in {@code remaining}, for another call or a retry job.
     * Retry jobs and automatic retry drain whole sequences. Must be positive.
     */
    private int maxLettersPerRequest = 1000;

    public int getMaxLettersPerRequest() { return maxLettersPerRequest; }
    public void setMaxLettersPerRequest(int maxLettersPerRequest) { this.maxLettersPerRequest = maxLettersPerRequest; }
}
