package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Off by default: on H2, under heavy load only, Axon's OWN dead-lettering invoker over this store has left the
 * failing aggregate's third event neither handled nor queued within 90 s (the sequence stays at 2 letters, no error
 * logged): 2 of 5 full builds before, and once more in a helper's run at load average 9 after the lingering
 * processor threads of earlier tests (the cause of the same symptom in axon-dlq's own invoker tests) were ruled
 * out by {@code ProcessorThreads}. Never on PostgreSQL ({@link PostgresAxonBuiltInInvokerInteropTest}, which
 * stays on). Run it with {@code -Daxon.dlq.test.h2-interop=true}; a timeout now reports the processor's segments,
 * the group's letters and the processor threads' stacks.
 */
@EnabledIfSystemProperty(named = "axon.dlq.test.h2-interop", matches = "true",
        disabledReason = "Intermittent on H2 under heavy load only: A2 neither handled nor queued within 90 s")
@UsesDatabase(TestDatabase.H2)
class H2AxonBuiltInInvokerInteropTest extends AxonBuiltInInvokerInteropTest {
}
