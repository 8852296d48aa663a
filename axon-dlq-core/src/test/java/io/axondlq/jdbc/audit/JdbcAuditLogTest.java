package io.axondlq.jdbc.audit;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JDBC audit log: keyset paging, filters, completing an entry, and entries that join the caller's transaction. */
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
        log = new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
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
    void cursorsKeepTheirWireFormatAndForgedOnesAreRefusedBeforeSql() {
        AuditEntry first = log.record("ops", "evict-letter", "g", "t0", null, "success", null);
        AuditEntry second = log.record("ops", "evict-letter", "g", "t1", null, "success", null);
        log.record("ops", "evict-letter", "g", "t2", null, "success", null);

        // A cursor as the log wrote it before the one codec: A|seconds|nanos|id, base64url without padding.
        String old = base64("A|" + first.occurredAt().getEpochSecond() + "|" + first.occurredAt().getNano() + "|"
                                    + first.id());
        assertThat(log.list(1, old).items()).extracting(AuditEntry::id).containsExactly(second.id());
        assertThat(log.list(1, null).nextCursor()).isEqualTo(old);

        // A time no database stores, a bad id, another listing's kind: 400s, never a database error.
        for (String forged : List.of(base64("A|-99999999999999|0|" + first.id()), base64("A|1|0|not-a-uuid"),
                                     base64("A|1|2000000000|" + first.id()), base64("J|1|0|" + first.id()))) {
            assertThatThrownBy(() -> log.list(2, forged)).as(forged).isInstanceOf(InvalidCursorException.class);
        }
    }

    @Test
    void storedTextIsCleanedAndCutWithoutSplittingASurrogatePair() {
        String detail = "x".repeat(1022) + "\uD83D\uDE00" + "tail";
        AuditEntry entry = log.record("ops", "evict-letter", "g", "nul\u0000target", null, "success", detail);

        AuditEntry stored = log.list(10, null).items().get(0);
        assertThat(stored.detail()).isEqualTo(entry.detail()).isEqualTo("x".repeat(1022));
        assertThat(stored.target()).isEqualTo("nul\uFFFDtarget");
    }

    private static String base64(String plain) {
        return java.util.Base64.getUrlEncoder().withoutPadding()
                               .encodeToString(plain.getBytes(java.nio.charset.StandardCharsets.UTF_8));
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

    /**
     * Every node stamps its entries with the database's clock, so an entry of a node whose own clock is behind sorts
     * after those a reader has already read, and the reader, following its cursor, sees it. (An entry whose
     * transaction commits after a reader passed its time can still be missed: documented on AuditLog.list, not a
     * property of the log.)
     */
    @Test
    void anEntryOfANodeWhoseClockIsBehindIsSeenByAReaderFollowingTheCursor() {
        // Built as the auto-configuration builds it: that node's own clock, however far behind, is not read.
        JdbcAuditLog behind = new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        log.record("bob", "evict-letter", "g", "t1", "{}", "success", null);
        log.record("bob", "evict-letter", "g", "t2", "{}", "success", null);
        List<String> cursor = new ArrayList<>(List.of(""));
        List<UUID> read = readOn(null, cursor);

        UUID late = behind.record("carol", "erase-group", "g", "g", "{}", "success", "removed 10 letters").id();
        UUID last = log.record("bob", "evict-letter", "g", "t3", "{}", "success", null).id();

        read.addAll(readOn(cursor.get(0), cursor));
        assertThat(read).as("entries a client following nextCursor saw").contains(late, last);
    }

    /**
     * Reads on from {@code cursor} to the end, one entry a page, as a client following nextCursor does; keeps the last
     * cursor it was given in {@code lastCursor} (the last page has none) to go on from later.
     */
    private List<UUID> readOn(String cursor, List<String> lastCursor) {
        List<UUID> ids = new ArrayList<>();
        do {
            Page<AuditEntry> page = log.list(AuditFilter.none(), 1, cursor);
            page.items().forEach(e -> ids.add(e.id()));
            if (page.nextCursor() != null) {
                lastCursor.set(0, page.nextCursor());
            }
            cursor = page.nextCursor();
        } while (cursor != null);
        return ids;
    }

    @Test
    void filtersOnEachCriterionAndOnThemCombined() {
        StepClock clock = new StepClock(Instant.parse("2026-03-01T10:00:00Z"));
        JdbcAuditLog timed = new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX, clock);
        // One entry per minute from 10:00: t0..t5.
        AuditEntry t0 = timed.record("alice", "evict-letter", "ledger", "t0", null, "success", null);
        AuditEntry t1 = timed.record("bob", "evict-letter", "billing", "t1", null, "success", null);
        AuditEntry t2 = timed.record("alice", "redeliver", "ledger", "t2", null, "success", null);
        AuditEntry t3 = timed.record("bob", "redeliver", "ledger", "t3", null, "success", null);
        AuditEntry t4 = timed.record("alice", "evict-letter", "billing", "t4", null, "success", null);
        AuditEntry t5 = timed.record(null, "export", null, "t5", null, "success", null);

        assertThat(ids(new AuditFilter("alice", null, null, null, null))).containsExactly(t0.id(), t2.id(), t4.id());
        assertThat(ids(new AuditFilter(null, "redeliver", null, null, null))).containsExactly(t2.id(), t3.id());
        assertThat(ids(new AuditFilter(null, null, "billing", null, null))).containsExactly(t1.id(), t4.id());
        assertThat(ids(new AuditFilter("anonymous", null, null, null, null))).containsExactly(t5.id());
        assertThat(ids(new AuditFilter(null, null, null, t2.occurredAt(), null)))
                .as("from is inclusive").containsExactly(t2.id(), t3.id(), t4.id(), t5.id());
        assertThat(ids(new AuditFilter(null, null, null, null, t2.occurredAt())))
                .as("to is exclusive").containsExactly(t0.id(), t1.id());
        assertThat(ids(new AuditFilter(null, null, null, t1.occurredAt(), t4.occurredAt())))
                .containsExactly(t1.id(), t2.id(), t3.id());
        assertThat(ids(new AuditFilter("alice", "evict-letter", "billing", null, null))).containsExactly(t4.id());
        assertThat(ids(new AuditFilter("bob", "redeliver", "ledger", t0.occurredAt(), t5.occurredAt())))
                .containsExactly(t3.id());
        assertThat(ids(new AuditFilter("alice", "redeliver", "billing", null, null))).isEmpty();
        // A value is bound, never part of the statement.
        assertThat(ids(new AuditFilter("alice' OR '1'='1", null, null, null, null))).isEmpty();
        assertThat(ids(AuditFilter.none())).hasSize(6);
    }

    @Test
    void pagesAcrossPagesWithAFilter() {
        List<UUID> evictions = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            evictions.add(log.record("ops", "evict-letter", "g", "e" + i, null, "success", null).id());
            // Interleaved entries the filter must skip, also on page boundaries.
            log.record("ops", "redeliver", "g", "r" + i, null, "success", null);
        }
        AuditFilter filter = new AuditFilter(null, "evict-letter", null, null, null);
        List<UUID> read = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<AuditEntry> page = log.list(filter, 3, cursor);
            assertThat(page.items()).allSatisfy(e -> assertThat(e.action()).isEqualTo("evict-letter"));
            page.items().forEach(e -> read.add(e.id()));
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null);
        assertThat(read).containsExactlyElementsOf(evictions);
        assertThat(pages).isEqualTo(3);
    }

    private List<UUID> ids(AuditFilter filter) {
        return log.list(filter, 100, null).items().stream().map(AuditEntry::id).toList();
    }

    /** Each reading a minute after the previous one, so entries have known, distinct times. */
    private static final class StepClock extends Clock {

        private Instant next;

        StepClock(Instant start) {
            this.next = start;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized Instant instant() {
            Instant now = next;
            next = next.plusSeconds(60);
            return now;
        }
    }
}
