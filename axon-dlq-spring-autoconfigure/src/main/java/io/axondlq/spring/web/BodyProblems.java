package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The problems of a request body: each names the member ({@code member}: {@code filter.from}) where there is one.
 * Jackson's and Bean Validation's own messages about types are not passed through, as they name Java classes.
 */
final class BodyProblems {

    private BodyProblems() {
    }

    /** A body Jackson could not bind: not JSON, an unknown member, a member of the wrong type. */
    static DeadLetterApiException unreadable(HttpMessageNotReadableException exception) {
        Throwable cause = exception.getCause();
        if (cause instanceof UnrecognizedPropertyException e) {
            String member = RequestParameters.shorten(path(e));
            return DeadLetterApiException.badBody("Unknown member [" + member + "]; known: "
                                                          + e.getKnownPropertyIds()).with("member", member);
        }
        if (cause instanceof JsonMappingException e && !e.getPath().isEmpty()) {
            String member = RequestParameters.shorten(path(e));
            return DeadLetterApiException.badBody("[" + member + "] " + expected(e)).with("member", member);
        }
        if (cause instanceof JsonMappingException e) {
            return DeadLetterApiException.badBody("The request body must be a JSON object");
        }
        if (cause instanceof StreamConstraintsException) {
            // Jackson's message names its Java API ("from `StreamReadConstraints.getMaxNestingDepth()`").
            return DeadLetterApiException.badBody("The request body is nested too deeply, or holds a number or "
                                                          + "string too long, for the JSON parser");
        }
        if (cause instanceof JsonProcessingException e) {
            return DeadLetterApiException.badBody("The request body is not valid JSON: "
                                                          + firstLine(e.getOriginalMessage()));
        }
        return DeadLetterApiException.badBody("The request body is missing or is not valid JSON");
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String expected(JsonMappingException e) {
        Class<?> type = e instanceof MismatchedInputException m
                ? m.getTargetType() : null;
        if (type == String.class) {
            return "must be a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "must be a whole number";
        }
        if (type != null && type.isRecord()) {
            return "must be an object";
        }
        return "has the wrong type";
    }

    /** Bean Validation's findings, each with its member; the first one named in {@code member}. */
    static DeadLetterApiException invalid(List<FieldError> errors) {
        List<FieldError> sorted = errors.stream().sorted(Comparator.comparing(FieldError::getField)).toList();
        if (sorted.isEmpty()) {
            return DeadLetterApiException.badBody("The request body is invalid");
        }
        String detail = sorted.stream().map(f -> "[" + f.getField() + "] " + f.getDefaultMessage())
                              .collect(Collectors.joining("; "));
        return DeadLetterApiException.badBody(detail).with("member", sorted.get(0).getField());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
