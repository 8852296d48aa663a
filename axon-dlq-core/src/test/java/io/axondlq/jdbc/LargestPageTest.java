package io.axondlq.jdbc;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.testsupport.DatabaseTestBase;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Java caller that wants "everything" asks for a page of {@code Integer.MAX_VALUE}: a valid limit (at least 1), so
 * it gets a page, not a database error. The keyset queries ask for {@code limit + 1} rows to tell whether there is
 * more, which overflowed to a negative SQL LIMIT.
 */
abstract class LargestPageTest extends DatabaseTestBase {

    static final int ALL = Integer.MAX_VALUE;

    DataSourceTransactionManager transactions;
    JdbcDeadLetterStore store;
    JdbcAuditLog audit;

    @BeforeEach
    void schema() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        SchemaInitializer.initialize(dataSource, SqlDialect.detect(dataSource), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     SchemaInitializer.OPERATIONS_SCRIPT);
        new JdbcTemplate(dataSource).execute("DELETE FROM axon_dlq_audit");
        transactions = new DataSourceTransactionManager(dataSource);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        store = JdbcDeadLetterStore.builder().dataSource(dataSource).transactionManager(transactions)
                                   .eventSerializer(serializer).genericSerializer(serializer).build();
        audit = new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
    }

    @Test
    void theAuditLogServesAPageOfIntegerMaxValue() {
        AuditEntry entry = audit.record("jane", "evict-letter", "g", "t", "{}", "success", null);

        Page<AuditEntry> page = audit.list(AuditFilter.none(), ALL, null);
        assertThat(page.items()).extracting(AuditEntry::id).containsExactly(entry.id());
        assertThat(page.nextCursor()).isNull();

        DeadLetterOperations operations = new DeadLetterOperations(store, audit, transactions,
                                                                   DeadLetterObserver.NOOP, () -> null);
        assertThat(operations.auditEntries(ALL, null).items()).extracting(AuditEntry::id)
                                                              .containsExactly(entry.id());
    }

    @Test
    void theStoreServesPagesOfIntegerMaxValue() {
        assertThat(store.letters("g", LetterFilter.none(), ALL, null).items()).isEmpty();
        assertThat(store.sequences("g", ALL, null).items()).isEmpty();
        assertThat(store.claimableHeads("g", ALL, null).items()).isEmpty();
    }

    @Test
    void retryJobsServePagesOfIntegerMaxValue() {
        JdbcRetryJobs jobs = new JdbcRetryJobs(dataSource, transactions, SchemaInitializer.DEFAULT_TABLE_PREFIX, store,
                                               new JdbcLeases(dataSource, transactions,
                                                              SchemaInitializer.DEFAULT_TABLE_PREFIX),
                                               RetryJobAudit.NONE, Duration.ofHours(1), Clock.systemUTC());
        assertThat(jobs.list(ALL, null).nextCursor()).isNull();
        assertThat(jobs.outcomes(UUID.randomUUID(), ALL, null).items()).isEmpty();
    }

    /** The one paged read of the store that took any limit: a negative one was a database error. */
    @Test
    void sequenceLettersRefusesALimitBelowOne() {
        assertThatThrownBy(() -> store.sequenceLetters("g", "k", -1, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        assertThatThrownBy(() -> store.sequenceLetters("g", "k", -1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    }
}
