package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An unencoded {@code ;} in a path starts path parameters (matrix variables), which Spring leaves out of a path
 * variable: {@code DELETE .../sequences/victim;v2} would evict sequence {@code victim}, another one that exists. The
 * API takes no path parameters and refuses every such request with 400 {@code invalid-path} before any endpoint runs,
 * so nothing changes (letters, audit, metrics); a {@code ;} encoded as {@code %3B} is part of the key and works.
 */
class PathParameterRestApiTest extends RestApiTestSupport {

    @Autowired
    MeterRegistry registry;

    @Test
    void evictingAKeyWithAnUnencodedSemicolonIsRefusedAndEvictsNoOtherSequence() {
        String victim = poisoned("victim", 2);
        String intended = victim + ";v2";
        poison.poison(intended);
        accounts.creditAndAwaitLetters(intended, 1);
        Map<String, Object> before = snapshot();
        double counted = counted();

        for (String path : List.of("/processing-groups/" + GROUP + "/sequences/" + intended,
                                   "/processing-groups/" + GROUP + "/sequences/" + victim + ";",
                                   "/processing-groups/" + GROUP + ";x=1/sequences/" + victim,
                                   "/processing-groups;x=1/" + GROUP + "/sequences/" + victim)) {
            invalidPath(http.delete(path), path);
        }

        assertThat(letters(victim)).as("letters of the sequence up to the ';'").hasSize(2);
        assertThat(letters(intended)).hasSize(1);
        assertThat(snapshot()).as("database (audit included)").isEqualTo(before);
        assertThat(counted()).as("evictions and redeliveries counted").isEqualTo(counted);
    }

    @Test
    void redeliveringThroughAPathParameterIsRefusedAndRedeliversNothing() {
        String victim = poisoned("victim-r", 1);
        poison.cure(victim); // a redelivery of it would now succeed and remove its letter
        String letterId = letters(victim).get(0).path("id").asText();
        Map<String, Object> before = snapshot();
        double counted = counted();

        for (String path : List.of("/processing-groups/" + GROUP + "/sequences/" + victim + ";x=1/redeliver",
                                   "/processing-groups/" + GROUP + "/sequences/" + victim + "/redeliver;x=1",
                                   "/processing-groups/" + GROUP + "/redeliver-oldest;x",
                                   "/letters/" + letterId + ";x=1/redeliver-sequence",
                                   "/retry-jobs;x=1")) {
            invalidPath(http.post(path, path.endsWith("retry-jobs;x=1")
                    ? "{\"processingGroup\": \"" + GROUP + "\"}" : null), path);
        }

        assertThat(letters(victim)).hasSize(1);
        assertThat(snapshot()).as("database (audit and jobs included)").isEqualTo(before);
        assertThat(counted()).as("evictions and redeliveries counted").isEqualTo(counted);
    }

    @Test
    void readsWithAPathParameterAreRefusedLikeAnUnknownQueryParameter() {
        String account = poisoned("read", 1);
        String letterId = letters(account).get(0).path("id").asText();
        for (String path : List.of("/processing-groups/" + GROUP + ";x=1/letters",
                                   "/processing-groups/" + GROUP + "/letters;jsessionid=abc",
                                   "/processing-groups/" + GROUP + "/export;format=ndjson",
                                   "/letters/" + letterId + ";",
                                   "/processing-groups;",
                                   "/audit;x",
                                   "/nothing-here;x=1")) {
            invalidPath(http.get(path), path);
        }
    }

    @Test
    void anAnonymousCallerIsAskedToAuthenticateFirst() {
        String account = poisoned("anonymous", 1);
        problem(anonymous.delete("/processing-groups/" + GROUP + "/sequences/" + account + ";x"), 401);
        assertThat(letters(account)).hasSize(1);
    }

    @Test
    void aSemicolonEncodedAsPercent3BIsPartOfTheKey() {
        String key = "semi;colon-" + UUID.randomUUID(); // the key up to its ';' names no sequence
        poison.poison(key);
        accounts.creditAndAwaitLetters(key, 2);
        String encoded = key.replace(";", "%3B");

        assertThat(all("/processing-groups/" + GROUP + "/sequences", 500))
                .extracting(s -> s.path("sequenceKey").asText()).contains(key).doesNotContain("semi");
        assertThat(ok(http.get("/processing-groups/" + GROUP + "/letters?sequence=" + encoded)).path("items"))
                .hasSize(2);

        JsonNode redelivered = ok(http.post("/processing-groups/" + GROUP + "/sequences/" + encoded + "/redeliver",
                                            null));
        assertThat(redelivered.path("sequenceKey").asText()).isEqualTo(key);
        assertThat(redelivered.path("outcome").asText()).isEqualTo("FAILED");

        JsonNode evicted = ok(http.delete("/processing-groups/" + GROUP + "/sequences/" + encoded));
        assertThat(evicted.path("sequenceKey").asText()).isEqualTo(key);
        assertThat(evicted.path("removed").asInt()).isEqualTo(2);
        assertThat(letters(key)).isEmpty();
    }

    private void invalidPath(Http.Response response, String path) {
        JsonNode body = problem(response, 400);
        assertThat(body.path("type").asText()).as(path + " → " + response)
                                              .isEqualTo(ProblemType.INVALID_PATH.type());
        assertThat(body.path("detail").asText()).as(path).contains("%3B");
    }

    /** Everything the evictions and redeliveries counters have counted, over all their tags. */
    private double counted() {
        return registry.find(MicrometerDeadLetterObserver.EVICTED).counters().stream().mapToDouble(Counter::count)
                       .sum()
                + registry.find(MicrometerDeadLetterObserver.REDELIVERIES).counters().stream()
                          .mapToDouble(Counter::count).sum();
    }
}
