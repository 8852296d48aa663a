package io.axondlq.jdbc.audit;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.Page;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JDBC audit log: keyset paging, completing an entry, and entries that join the caller's transaction. */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class JdbcAuditLogTest {

    @TestDataSource
    DataSource dataSource;

    private JdbcAuditLog log;
    private JdbcTemplate jdbc;

    @BeforeEach
    void emptyLog() {
        // The operations tables refer to the store's.
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        SchemaInitializer.initialize(dataSource, SqlDialect.detect(dataSource), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     SchemaInitializer.OPERATIONS_SCRIPT);
        jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("DELETE FROM axon_dlq_audit");
        log = new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX, Clock.systemUTC());
    }

    @Test
    void pagesOldestFirstAndRefusesForgedCursors() {
        List<UUID> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            written.add(log.record("ops", "evict-letter", "g", "t" + i, "{\"i\":" + i + "}", "success", null).id());
        }
        List<UUID> read = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<AuditEntry> page = log.list(2, cursor);
            page.items().forEach(e -> read.add(e.id()));
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null);
        assertThat(read).containsExactlyElementsOf(written);
        assertThat(pages).isEqualTo(3);
        assertThatThrownBy(() -> log.list(2, "bm90LWEtY3Vyc29y")).isInstanceOf(InvalidCursorException.class);
    }

    @Test
    void completesAnEntryAndJoinsTheCallersTransaction() {
        AuditEntry started = log.record(null, "export", "g", "g", null, "started", "streaming");
        assertThat(started.actor()).isEqualTo("anonymous");
        assertThat(log.complete(started.id(), "success", "exported 3 letters")).isTrue();
        assertThat(log.complete(UUID.randomUUID(), "success", "x")).isFalse();
        assertThat(log.list(10, null).items()).singleElement().satisfies(e -> {
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).isEqualTo("exported 3 letters");
        });

        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        transaction.executeWithoutResult(status -> {
            log.record("ops", "erase-group", "g", "g", null, "success", "removed 1 letters");
            status.setRollbackOnly();
        });
        assertThat(log.list(10, null).items()).as("rolled back with the caller").hasSize(1);
    }
}
