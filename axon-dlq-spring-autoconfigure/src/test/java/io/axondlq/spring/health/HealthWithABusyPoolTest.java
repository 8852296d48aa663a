package io.axondlq.spring.health;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The {@code deadLetters} health contributor when the application's connection pool is busy (every connection held
 * by processor batches, exports, slow requests): {@code axon.dlq.health.timeout} bounds the check, the wait for a
 * connection included, so /actuator/health answers DOWN in time instead of waiting as long as the pool lets a caller
 * wait (Hikari's {@code connectionTimeout}, 30 s by default; 10 minutes here). Health calls while the pool stays busy
 * do not pile up waiting reads; once a connection is free the contributor reports UP again.
 */
class HealthWithABusyPoolTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void aPoolWithoutAFreeConnectionDoesNotHoldTheHealthCheckBeyondItsTimeout(TestDatabase kind) throws Exception {
        try (FreshDatabase database = TestDatabases.fresh(kind)) {
            SchemaInitializer.initialize(database.dataSource(), SchemaInitializer.DEFAULT_TABLE_PREFIX);
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(database.jdbcUrl());
            config.setUsername(database.dataSource().getUsername());
            config.setPassword(database.dataSource().getPassword());
            config.setMaximumPoolSize(1);
            config.setConnectionTimeout(Duration.ofMinutes(10).toMillis());
            try (HikariDataSource pool = new HikariDataSource(config)) {
                JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
                JdbcDeadLetterStore store = JdbcDeadLetterStore.builder().dataSource(pool)
                                                               .eventSerializer(serializer)
                                                               .genericSerializer(serializer)
                                                               .nodeId("node-a").build();
                DeadLetterHealthIndicator indicator = new DeadLetterHealthIndicator(
                        store, 0, DeadLetterHealthIndicator.DEGRADED, Duration.ofSeconds(1));
                assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

                Connection busy = pool.getConnection();
                try {
                    for (int call = 1; call <= 2; call++) {
                        CompletableFuture<Health> health = CompletableFuture.supplyAsync(indicator::health);
                        try {
                            assertThat(health.get(30, TimeUnit.SECONDS).getStatus()).as("call %d", call)
                                                                                    .isEqualTo(Status.DOWN);
                        } catch (TimeoutException e) {
                            fail("deadLetters health (timeout 1 s) did not answer within 30 s while the pool had no "
                                         + "free connection");
                        }
                        // The check did reach the pool and is still waiting there: the interleaving happened, and
                        // the second call joined the first one's read instead of queueing another.
                        assertThat(pool.getHikariPoolMXBean().getThreadsAwaitingConnection())
                                .as("reads waiting for a connection after call %d", call).isEqualTo(1);
                    }
                } finally {
                    busy.close();
                }
                await().atMost(Duration.ofSeconds(30))
                       .until(() -> indicator.health().getStatus().equals(Status.UP));
            }
        }
    }
}
