package io.axondlq.sample.api;

import io.axondlq.sample.account.InsufficientFundsException;
import io.axondlq.sample.faults.FaultController;
import org.axonframework.commandhandling.CommandExecutionException;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.axonframework.eventsourcing.eventstore.EventStoreException;
import org.axonframework.modelling.command.ConcurrencyException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import java.sql.SQLException;

/** Errors of the sample's own endpoints as {@code application/problem+json}. */
@RestControllerAdvice(assignableTypes = {AccountController.class, FaultController.class})
public class SampleProblems {

    @ExceptionHandler({IllegalArgumentException.class, HttpMessageNotReadableException.class})
    ProblemDetail badRequest(Exception e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, message(e));
    }

    /** A body sent without {@code Content-Type: application/json} (a curl without {@code -H}). */
    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ProblemDetail notJson(HttpMediaTypeNotSupportedException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                                                "Send the body as Content-Type: application/json");
    }

    @ExceptionHandler(AggregateNotFoundException.class)
    ProblemDetail notFound(AggregateNotFoundException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "No such account: " + e.getAggregateIdentifier());
    }

    @ExceptionHandler(InsufficientFundsException.class)
    ProblemDetail insufficientFunds(InsufficientFundsException e) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
    }

    /**
     * Opening an account twice: the event store refuses a second first event of the same aggregate (a unique-key
     * violation, SQL state 23505 on H2 and PostgreSQL, which Axon reports as a concurrency or event store error).
     */
    @ExceptionHandler({ConcurrencyException.class, EventStoreException.class})
    ProblemDetail conflict(Exception e) {
        if (e instanceof ConcurrencyException || isUniqueViolation(e)) {
            return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, "The account already exists");
        }
        return ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage());
    }

    private static boolean isUniqueViolation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    @ExceptionHandler(CommandExecutionException.class)
    ProblemDetail commandFailed(CommandExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (cause instanceof IllegalArgumentException) {
            return badRequest((Exception) cause);
        }
        if (cause instanceof InsufficientFundsException funds) {
            return insufficientFunds(funds);
        }
        return ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage());
    }

    private static String message(Exception e) {
        if (e instanceof HttpMessageNotReadableException) {
            return "Malformed JSON request body";
        }
        return e.getMessage();
    }
}
