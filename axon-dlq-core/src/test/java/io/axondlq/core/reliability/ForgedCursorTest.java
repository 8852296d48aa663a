package io.axondlq.core.reliability;

import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.DatabaseTestBase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 7, I6, found by the hostile-input generator ({@code io.axondlq.spring.reliability.RestApiReliabilityTest}):
 * a forged sequence-listing cursor, {@code base64url("S|" + key)} with a NUL character in the key, is decoded without
 * checks ({@code Cursors.decodeSequences}) and bound as a query parameter; PostgreSQL refuses NUL in text and the
 * store throws {@code DataIntegrityViolationException} ("invalid byte sequence for encoding UTF8: 0x00"), which the REST
 * API answers with 500. It should be an {@link InvalidCursorException} (400 invalid-cursor). H2 accepts NUL, so only
 * PostgreSQL shows it. {@code Cursors.decodeHeads} has the same gap.
 */
@UsesDatabase(TestDatabase.POSTGRES)
class ForgedCursorTest extends DatabaseTestBase {

    @Test

    void aSequenceCursorWithNulIsAnInvalidCursor() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder()
                                                       .dataSource(dataSource)
                                                       .eventSerializer(JacksonSerializer.defaultSerializer())
                                                       .genericSerializer(JacksonSerializer.defaultSerializer())
                                                       .build();
        String cursor = Base64.getUrlEncoder().withoutPadding()
                              .encodeToString("S|agg\u0000-1".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.sequences("projection", 10, cursor)).isInstanceOf(InvalidCursorException.class);
    }
}
