package io.axondlq.spring.web;

/**
 * Marks the controllers of the axon-dlq REST API. The problem-details advice and the authorization interceptor apply
 * to these controllers only, so the host application's own error handling stays as it is.
 */
public interface DeadLetterRestEndpoint {
}
