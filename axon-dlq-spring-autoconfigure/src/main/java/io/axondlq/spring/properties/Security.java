package io.axondlq.spring.properties;

/**
 * Authorities the REST API checks when Spring Security is on the classpath (authentication itself is the
 * application's Spring Security setup): no authentication → 401, a missing authority → 403. An empty value
 * disables that check: with an empty read authority anyone who can reach the API may read, with an empty write
 * authority anyone may redeliver, start and stop retry jobs, evict and erase.
 */
public class Security {

    /**
     * Authority needed for the read endpoints (GET: listings, letters, exports, retry jobs, the audit log); the
     * write authority grants reading too. Empty: reads are not checked.
     */
    private String readAuthority = "DLQ_READ";

    /**
     * Authority needed for redelivery, retry jobs (start, stop), eviction and erasure. Empty: writes are not
     * checked.
     */
    private String writeAuthority = "DLQ_ADMIN";

    /**
     * The WWW-Authenticate challenge of a 401 answer (a request without an authenticated user), e.g.
     * {@code Bearer} for an OAuth2 resource server. Match your application's authentication.
     */
    private String challenge = "Basic realm=\"axon-dlq\"";

    /**
     * Authority that shows letter details and listings in full (payload, cause messages, stack traces,
     * diagnostics) although axon.dlq.export.payload is masked or none; everyone else sees them as an export would.
     * Neither the read nor the write authority grants it. Without the ROLE_ prefix also met by the role of that
     * name; your RoleHierarchy bean applies. Empty: nobody is exempt. Exports always follow
     * axon.dlq.export.payload; masked metadata keys stay masked for everyone.
     */
    private String payloadAuthority = "DLQ_PAYLOAD";

    public String getReadAuthority() { return readAuthority; }
    public void setReadAuthority(String readAuthority) { this.readAuthority = readAuthority; }
    public String getWriteAuthority() { return writeAuthority; }
    public void setWriteAuthority(String writeAuthority) { this.writeAuthority = writeAuthority; }
    public String getChallenge() { return challenge; }
    public void setChallenge(String challenge) { this.challenge = challenge; }
    public String getPayloadAuthority() { return payloadAuthority; }
    public void setPayloadAuthority(String payloadAuthority) { this.payloadAuthority = payloadAuthority; }
}
