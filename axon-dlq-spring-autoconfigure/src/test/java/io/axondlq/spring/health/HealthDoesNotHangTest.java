package io.axondlq.spring.health;

import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The {@code deadLetters} health contributor on a real PostgreSQL whose sequence table is locked by another session
 * (a migration's ALTER TABLE queued behind a processor batch, a VACUUM FULL, an operator's DDL): /actuator/health must
 * answer within a probe's patience, DOWN or UNKNOWN, not wait for the lock for as long as it is held.
 */
class HealthDoesNotHangTest {

    @Test
    void aLockedSequenceTableDoesNotHangTheHealthCheck() throws Exception {
        try (FreshDatabase database = TestDatabases.fresh(TestDatabase.POSTGRES)) {
            SchemaInitializer.initialize(database.dataSource(), SchemaInitializer.DEFAULT_TABLE_PREFIX);
            JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
            JdbcDeadLetterStore store = JdbcDeadLetterStore.builder().dataSource(database.dataSource())
                                                           .eventSerializer(serializer).genericSerializer(serializer)
                                                           .nodeId("node-a").build();
            DeadLetterHealthIndicator indicator = new DeadLetterHealthIndicator(store, 0);
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

            try (Connection locker = database.dataSource().getConnection();
                 Statement statement = locker.createStatement()) {
                locker.setAutoCommit(false);
                statement.execute("LOCK TABLE axon_dlq_sequence IN ACCESS EXCLUSIVE MODE");
                CompletableFuture<Health> health = CompletableFuture.supplyAsync(indicator::health);
                try {
                    Health answered = health.get(10, TimeUnit.SECONDS);
                    assertThat(answered.getStatus()).isIn(Status.DOWN, Status.UNKNOWN);
                } catch (TimeoutException e) {
                    fail("deadLetters health did not answer within 10 s while axon_dlq_sequence was locked");
                } finally {
                    locker.rollback();
                    health.get(30, TimeUnit.SECONDS);
                }
            }
        }
    }
}
