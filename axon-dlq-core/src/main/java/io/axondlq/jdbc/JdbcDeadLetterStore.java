package io.axondlq.jdbc;

import io.axondlq.core.store.AppendOutcome;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.Causes;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.EnqueueOutcome;
import io.axondlq.core.store.AutomaticRetryState;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.DueSequence;
import io.axondlq.core.store.DeadLetterStoreException;
import io.axondlq.core.store.EventReader;
import io.axondlq.core.store.EnqueuedHour;
import io.axondlq.core.store.FailureGroup;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.LeaseLostException;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.NodeId;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.SequenceSummary;
import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.StoredText;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.deadletter.Cause;
import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;
import org.axonframework.messaging.deadletter.NoSuchDeadLetterException;
import org.axonframework.messaging.deadletter.ThrowableCause;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.namedparam.SqlParameterSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.BatchUpdateException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import javax.sql.DataSource;

/**
 * The JDBC {@link DeadLetterStore} for PostgreSQL and H2. One instance serves every processing group of a data
 * source.
 * <p>
 * Storage: a row per parked sequence (counters, segment hash, redelivery lease) and a row per letter. The sequence
 * row is what keeps the hot path to one statement per letter: appending a parked follower updates the sequence row
 * and inserts the letter in a single statement, checking existence and size without a COUNT.
 */
public final class JdbcDeadLetterStore implements DeadLetterStore {

    private static final Logger logger = LoggerFactory.getLogger(JdbcDeadLetterStore.class);
    private static final int ENQUEUE_RACE_RETRIES = 3;
    /** Letter ids per attempt-history statement: well below every driver's bind-parameter limit. */
    private static final int ATTEMPTS_CHUNK = 500;

    private final NamedParameterJdbcTemplate jdbc;
    private final DeadLetterStatements sql;
    private final SqlDialect dialect;
    private final EventCodec codec;
    private final TransactionTemplate inTransaction;
    /**
     * Claims and releases: each in a short transaction of its own, committed at once, whatever the caller's transaction
     * does. Not "no transaction": on a pool that does not auto-commit, the statement would be rolled back when the
     * connection is returned.
     */
    private final TransactionTemplate ownTransaction;
    private final DeadLetterLimits defaultLimits;
    private final Map<String, DeadLetterLimits> groupLimits;
    private final Function<String, DeadLetterLimits> limitsOfGroup;
    private final Function<Object, SequenceKeys.StoredKey> keyEncoder;
    private final String nodeId;
    private final RowMapper<StoredLetter> letterMapper = this::mapLetter;
    /** Per group, the groups whose lock rows a sequence start of it locks, in name order (itself when absent). */
    private final Map<String, List<String>> groupLockOrder = new ConcurrentHashMap<>();
    /** Whether the schema has V7's due columns: found once, then trusted; asked again while absent. */
    private volatile boolean retryDueColumns;
    private volatile boolean warnedWithoutRetryDueColumns;

    private JdbcDeadLetterStore(Builder builder) {
        this.dialect = builder.dialect != null ? builder.dialect : SqlDialect.detect(builder.dataSource);
        this.sql = dialect.statements(builder.tablePrefix);
        this.jdbc = new NamedParameterJdbcTemplate(builder.dataSource);
        this.codec = new EventCodec(builder.eventSerializer, builder.genericSerializer, builder.upcasterChain);
        PlatformTransactionManager transactionManager = builder.transactionManager != null
                ? builder.transactionManager : new DataSourceTransactionManager(builder.dataSource);
        this.inTransaction = new TransactionTemplate(transactionManager);
        this.ownTransaction = new TransactionTemplate(transactionManager);
        this.ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.defaultLimits = builder.defaultLimits;
        this.groupLimits = Map.copyOf(builder.groupLimits);
        this.limitsOfGroup = builder.limitsOfGroup;
        this.keyEncoder = builder.keyEncoder == null
                ? SequenceKeys::stored : builder.keyEncoder.andThen(SequenceKeys::storable);
        this.nodeId = builder.nodeId;
    }

    public static Builder builder() {
        return new Builder();
    }

    public SqlDialect dialect() {
        return dialect;
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * From now on a sequence start of any of these groups locks the lock rows of all of them, in name order (the
     * same on every node): two transactions that start sequences of these groups then queue on the first row instead
     * of each holding one group and waiting for the other's. A group declared in two calls joins both sets.
     */
    @Override
    public void groupsShareTransactions(Collection<String> processingGroups) {
        synchronized (groupLockOrder) {
            TreeSet<String> joined = new TreeSet<>();
            for (String group : processingGroups) {
                joined.add(Objects.requireNonNull(group, "processingGroup"));
                joined.addAll(groupLockOrder.getOrDefault(group, List.of()));
            }
            List<String> order = List.copyOf(joined);
            joined.forEach(group -> groupLockOrder.put(group, order));
        }
    }

    /** The groups a sequence start of this group locks, in the order it locks them. */
    public List<String> groupLockOrder(String processingGroup) {
        return groupLockOrder.getOrDefault(processingGroup, List.of(processingGroup));
    }

    @Override
    public DeadLetterLimits limits(String processingGroup) {
        DeadLetterLimits limits = groupLimits.get(processingGroup);
        if (limits == null) {
            limits = limitsOfGroup.apply(processingGroup);
        }
        return limits != null ? limits : defaultLimits;
    }

    /** Creates the tables if they do not exist yet. */
    public JdbcDeadLetterStore createSchema(DataSource dataSource, String tablePrefix) {
        SchemaInitializer.initialize(dataSource, dialect, tablePrefix);
        return this;
    }

    @Override
    public String sequenceKey(Object sequenceIdentifier) {
        return keyEncoder.apply(sequenceIdentifier).key();
    }

    /** The full key of a hashed sequence key, null for every other key (see {@link SequenceKeys}). */
    private String fullKey(Object sequenceIdentifier) {
        return keyEncoder.apply(sequenceIdentifier).fullKey();
    }

    // --- hot path -----------------------------------------------------------------------------------------------

    @Override
    public Set<String> parkedSequenceKeys(String processingGroup, int segmentId, int segmentMask) {
        Segments.Range range = Segments.range(segmentId, segmentMask);
        MapSqlParameterSource params = new MapSqlParameterSource("processing_group", processingGroup)
                .addValue("segment_from", range.from())
                .addValue("segment_to", range.to());
        return new HashSet<>(jdbc.queryForList(sql.parkedKeysInSegment(), params, String.class));
    }

    @Override
    public boolean[] appendIfParked(String processingGroup, List<LetterDraft> drafts) {
        return AppendOutcome.inQueue(appendToParked(processingGroup, drafts));
    }

    @Override
    public AppendOutcome[] appendToParked(String processingGroup, List<LetterDraft> drafts) {
        if (drafts.isEmpty()) {
            return new AppendOutcome[0];
        }
        int maxSize = limits(processingGroup).maxSequenceSize();
        String[] keys = drafts.stream().map(d -> sequenceKey(d.sequenceIdentifier())).toArray(String[]::new);
        // Sent in the key order a group erase locks the sequence rows in (stable, so each sequence keeps its events'
        // order), so the two cannot deadlock over this batch.
        int[] order = IntStream.range(0, keys.length).boxed()
                               .sorted(Comparator.comparing(i -> keys[i], SequenceKeys.LOCK_ORDER))
                               .mapToInt(Integer::intValue).toArray();
        SqlParameterSource[] batch = new SqlParameterSource[drafts.size()];
        for (int j = 0; j < order.length; j++) {
            int i = order[j];
            batch[j] = letterParams(UUID.randomUUID(), processingGroup, keys[i], drafts.get(i))
                    .addValue("full_key", fullKey(drafts.get(i).sequenceIdentifier()), Types.VARCHAR)
                    .addValue("max_sequence_size", maxSize);
        }
        return inTransaction.execute(status -> {
            Appends appends = appendAll(batch);
            AppendOutcome[] appended = new AppendOutcome[batch.length];
            for (int j = 0; j < batch.length; j++) {
                int i = order[j];
                appended[i] = AppendOutcome.NOT_PARKED;
                if (appends.counts[j] > 0) {
                    appended[i] = AppendOutcome.APPENDED;
                    continue;
                }
                Probe probe = probeAfterAppend(batch[j]);
                if (probe.existingLetter() != null) {
                    // Delivered again (Axon delivers at least once): it is in the queue already, store it once.
                    appended[i] = AppendOutcome.ALREADY_A_LETTER;
                } else if (appends.failure != null && appends.counts[j] == Statement.EXECUTE_FAILED) {
                    throw appends.failure;
                } else if (probe.letterCount() != null && probe.letterCount() >= maxSize) {
                    throw sequenceFull(processingGroup, keys[i], maxSize);
                }
            }
            return appended;
        });
    }

    /** Update counts of the appends; on H2, a concurrent duplicate fails its entry only (see {@link H2Statements}). */
    private record Appends(int[] counts, DataAccessException failure) {
    }

    private Appends appendAll(SqlParameterSource[] batch) {
        try {
            int[] counts = batch.length == 1
                    ? new int[]{jdbc.update(sql.appendToSequence(), batch[0])}
                    : jdbc.batchUpdate(sql.appendToSequence(), batch);
            return new Appends(counts, null);
        } catch (DuplicateKeyException e) {
            if (dialect != SqlDialect.H2) {
                throw e; // PostgreSQL's statements never raise it: it would be a broken invariant, not a race
            }
            BatchUpdateException batchFailure = findCause(e, BatchUpdateException.class);
            if (batch.length == 1) {
                return new Appends(new int[]{Statement.EXECUTE_FAILED}, e);
            }
            if (batchFailure == null || batchFailure.getUpdateCounts().length != batch.length) {
                throw e;
            }
            return new Appends(batchFailure.getUpdateCounts(), e);
        }
    }

    /** What is already stored for a draft whose statement affected nothing. */
    private record Probe(UUID existingLetter, Integer letterCount) {
    }

    /**
     * Probes after an append that inserted nothing. When the event is a letter already, the append may have counted it
     * anyway (see {@link DeadLetterStatements#appendToSequence()}): the sequence's count is set from its letters.
     */
    private Probe probeAfterAppend(SqlParameterSource params) {
        Probe probe = jdbc.queryForObject(sql.appendProbe(), params, (rs, i) -> {
            UUID existing = rs.getObject("existing_letter", UUID.class);
            int count = rs.getInt("letter_count");
            return new Probe(existing, rs.wasNull() ? null : count);
        });
        if (probe.existingLetter() != null) {
            jdbc.update(sql.recountSequence(), params);
        }
        return probe;
    }

    @Override
    public UUID enqueue(String processingGroup, LetterDraft draft) {
        return enqueueOnce(processingGroup, draft).letterId();
    }

    @Override
    public EnqueueOutcome enqueueOnce(String processingGroup, LetterDraft draft) {
        String key = sequenceKey(draft.sequenceIdentifier());
        DeadLetterLimits limits = limits(processingGroup);
        // Refusals are returned, not thrown, from the transaction callback: nothing was written, and a throw there
        // would mark a caller's transaction rollback-only.
        Object outcome = inTransaction.execute(status -> {
            for (int attempt = 0; attempt < ENQUEUE_RACE_RETRIES; attempt++) {
                UUID letterId = UUID.randomUUID();
                MapSqlParameterSource params = letterParams(letterId, processingGroup, key, draft)
                        .addValue("segment_key", Segments.key(draft.sequenceIdentifier()))
                        .addValue("full_key", fullKey(draft.sequenceIdentifier()), Types.VARCHAR)
                        .addValue("max_sequences", limits.maxSequences())
                        .addValue("max_sequence_size", limits.maxSequenceSize());
                lockGroups(processingGroup);
                if (updateTolerantOfH2Duplicates(sql.startSequence(), params) > 0
                        || updateTolerantOfH2Duplicates(sql.appendToSequence(), params) > 0) {
                    insertHistory(letterId, draft.history());
                    return EnqueueOutcome.newLetter(letterId);
                }
                Probe probe = probeAfterAppend(params);
                if (probe.existingLetter() != null) {
                    // The event is a letter already: store it once, history too.
                    return EnqueueOutcome.existingLetter(probe.existingLetter());
                }
                RuntimeException collision = collision(processingGroup, key, params);
                if (collision != null) {
                    return collision;
                }
                if (probe.letterCount() != null && probe.letterCount() >= limits.maxSequenceSize()) {
                    return sequenceFull(processingGroup, key, limits.maxSequenceSize());
                }
                if (probe.letterCount() == null && sequenceCount(processingGroup) >= limits.maxSequences()) {
                    return new DeadLetterQueueOverflowException(
                            "Processing group [" + processingGroup + "] already holds the maximum of "
                                    + limits.maxSequences() + " dead-letter sequences; sequence [" + key
                                    + "] cannot be added. Redeliver or evict letters, or raise max-sequences.");
                }
                // The sequence was evicted, drained or started concurrently between the statements: try again.
            }
            return new DeadLetterStoreException("Could not enqueue into sequence [" + key + "] of processing group ["
                                                        + processingGroup + "]: it kept changing concurrently");
        });
        if (outcome instanceof RuntimeException refusal) {
            throw refusal;
        }
        return (EnqueueOutcome) outcome;
    }

    /** The append refused a hashed key whose sequence was created for another identifier: never merge them. */
    private RuntimeException collision(String processingGroup, String key, MapSqlParameterSource params) {
        String fullKey = (String) params.getValue("full_key");
        if (fullKey == null) {
            return null;
        }
        List<String> stored = jdbc.queryForList(sql.sequenceFullKey(), params, String.class);
        return !stored.isEmpty() && !fullKey.equals(stored.get(0))
                ? new SequenceKeyCollisionException(processingGroup, key) : null;
    }

    /**
     * Serializes sequence starts of the group (see {@link DeadLetterStatements#lockGroup()}), locking the rows of the
     * groups it shares transactions with too, one by one in {@link #groupLockOrder(String)}: an order every
     * transaction follows cannot close a cycle of waits. Locks held already are taken again at no cost.
     */
    private void lockGroups(String processingGroup) {
        for (String group : groupLockOrder(processingGroup)) {
            lockGroup(groupParams(group));
        }
    }

    private void lockGroup(MapSqlParameterSource params) {
        for (int attempt = 0; ; attempt++) {
            try {
                jdbc.update(sql.lockGroup(), params);
                return;
            } catch (DuplicateKeyException e) {
                // H2 only: two transactions created the group's lock row at once; the row exists now, lock it.
                if (dialect != SqlDialect.H2 || attempt > 0) {
                    throw e;
                }
            }
        }
    }

    /**
     * On H2 a concurrent duplicate can fail the statement (H2 undoes that statement only, the transaction stays
     * usable): counted as "nothing stored", the probe that follows finds the letter. PostgreSQL's statements use
     * ON CONFLICT and never get here; an error there aborts the transaction, so it is never swallowed.
     */
    private int updateTolerantOfH2Duplicates(String statement, SqlParameterSource params) {
        try {
            return jdbc.update(statement, params);
        } catch (DuplicateKeyException e) {
            if (dialect != SqlDialect.H2) {
                throw e;
            }
            return 0;
        }
    }

    private static <T extends Throwable> T findCause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private void insertHistory(UUID letterId, List<AttemptRecord> history) {
        if (history.isEmpty()) {
            return;
        }
        SqlParameterSource[] rows = history.stream().map(a -> attemptParams(letterId, a))
                                           .toArray(SqlParameterSource[]::new);
        if (rows.length == 1) {
            jdbc.update(sql.insertAttempt(), rows[0]);
        } else {
            jdbc.batchUpdate(sql.insertAttempt(), rows);
        }
    }

    private static DeadLetterQueueOverflowException sequenceFull(String group, String key, int maxSize) {
        return new DeadLetterQueueOverflowException(
                "Dead-letter sequence [" + key + "] of processing group [" + group + "] is full (" + maxSize
                        + " letters). Redeliver or evict its letters, or raise max-sequence-size.");
    }

    // --- reads --------------------------------------------------------------------------------------------------

    private Integer letterCount(String processingGroup, String sequenceKey) {
        List<Integer> counts = jdbc.queryForList(sql.sequenceLetterCount(), sequenceParams(processingGroup, sequenceKey),
                                                 Integer.class);
        return counts.isEmpty() ? null : counts.get(0);
    }

    @Override
    public boolean contains(String processingGroup, String sequenceKey) {
        return letterCount(processingGroup, sequenceKey) != null;
    }

    @Override
    public long size(String processingGroup) {
        Long size = jdbc.queryForObject(sql.groupSize(), groupParams(processingGroup), Long.class);
        return size == null ? 0 : size;
    }

    @Override
    public long sequenceSize(String processingGroup, String sequenceKey) {
        Integer count = letterCount(processingGroup, sequenceKey);
        return count == null ? 0 : count;
    }

    @Override
    public long sequenceCount(String processingGroup) {
        Long count = jdbc.queryForObject(sql.groupSequenceCount(), groupParams(processingGroup), Long.class);
        return count == null ? 0 : count;
    }

    @Override
    public boolean isFull(String processingGroup, String sequenceKey) {
        DeadLetterLimits limits = limits(processingGroup);
        Integer count = letterCount(processingGroup, sequenceKey);
        return count != null
                ? count >= limits.maxSequenceSize()
                : sequenceCount(processingGroup) >= limits.maxSequences();
    }

    @Override
    public Optional<StoredLetter> letter(UUID letterId) {
        return jdbc.query(sql.letterById(), new MapSqlParameterSource("letter_id", letterId), letterMapper)
                   .stream().findFirst();
    }

    @Override
    public List<StoredLetter> sequenceLetters(String processingGroup, String sequenceKey, long afterIndex,
                                              int limit) {
        requirePositive(limit);
        MapSqlParameterSource params = sequenceParams(processingGroup, sequenceKey)
                .addValue("after_index", afterIndex)
                .addValue("limit", limit);
        return jdbc.query(sql.sequenceLetters(), params, letterMapper);
    }

    @Override
    public Page<StoredLetter> claimableHeads(String processingGroup, int limit, String cursor) {
        requirePositive(limit);
        MapSqlParameterSource params = groupParams(processingGroup).addValue("limit", Page.rowsToRead(limit));
        if (cursor != null) {
            Cursors.TimeAndKey after = Cursors.decodeHeads(cursor);
            params.addValue("after_touched", time(after.time())).addValue("after_key", after.key());
        }
        Map<UUID, Instant> touched = new HashMap<>();
        List<StoredLetter> rows = jdbc.query(sql.claimableHeads(cursor != null), params, (rs, i) -> {
            StoredLetter letter = mapLetter(rs, i);
            touched.put(letter.id(), instant(rs, "sequence_touched"));
            return letter;
        });
        return Page.of(rows, limit, last -> Cursors.heads(touched.get(last.id()), last.sequenceKey()));
    }

    @Override
    public Page<StoredLetter> letters(String processingGroup, LetterFilter filter, int limit, String cursor) {
        requirePositive(limit);
        LetterFilter f = filter == null ? LetterFilter.none() : filter;
        MapSqlParameterSource params = groupParams(processingGroup).addValue("limit", Page.rowsToRead(limit));
        params.addValue("sequence_key", f.sequenceKey())
              .addValue("cause_type", f.causeType())
              .addValue("payload_type", f.payloadType());
        if (f.from() != null) {
            params.addValue("from", time(f.from()));
        }
        if (f.to() != null) {
            params.addValue("to", time(f.to()));
        }
        if (cursor != null) {
            Cursors.TimeAndId after = Cursors.decodeLetters(cursor);
            params.addValue("after_enqueued_at", time(after.time())).addValue("after_id", after.id());
        }
        String query = sql.letters(f.sequenceKey() != null, f.causeType() != null, f.payloadType() != null,
                                   f.from() != null, f.to() != null, cursor != null);
        List<StoredLetter> rows = jdbc.query(query, params, letterMapper);
        return Page.of(rows, limit, last -> Cursors.letters(last.enqueuedAt(), last.id()));
    }

    @Override
    public Page<SequenceSummary> sequences(String processingGroup, int limit, String cursor) {
        requirePositive(limit);
        MapSqlParameterSource params = groupParams(processingGroup).addValue("limit", Page.rowsToRead(limit));
        if (cursor != null) {
            params.addValue("after_key", Cursors.decodeSequences(cursor));
        }
        List<SequenceSummary> rows = jdbc.query(sql.sequences(false, cursor != null), params, this::mapSequence);
        return Page.of(rows, limit, last -> Cursors.sequences(last.sequenceKey()));
    }

    @Override
    public Optional<SequenceSummary> sequence(String processingGroup, String sequenceKey) {
        MapSqlParameterSource params = sequenceParams(processingGroup, sequenceKey).addValue("limit", 1);
        return jdbc.query(sql.sequences(true, false), params, this::mapSequence).stream().findFirst();
    }

    @Override
    public List<GroupStatistics> statistics() {
        return jdbc.query(sql.statistics(), JdbcDeadLetterStore::statisticsRow);
    }

    /** With a JDBC query timeout (whole seconds, at least one): the driver cancels the query, also a lock wait. */
    @Override
    public List<GroupStatistics> statistics(Duration timeout) {
        JdbcTemplate bounded = new JdbcTemplate(jdbc.getJdbcTemplate().getDataSource());
        bounded.setQueryTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (timeout.toMillis() + 999) / 1000)));
        return new NamedParameterJdbcTemplate(bounded).query(sql.statistics(), JdbcDeadLetterStore::statisticsRow);
    }

    private static GroupStatistics statisticsRow(ResultSet rs, int row) throws SQLException {
        return new GroupStatistics(rs.getString("processing_group"), rs.getLong("letters"), rs.getLong("sequences"),
                                   instant(rs, "oldest"), rs.getLong("largest"));
    }

    @Override
    public List<FailureGroup> failureGroups(String processingGroup) {
        return jdbc.query(sql.failureGroups(), groupParams(processingGroup), (rs, i) -> new FailureGroup(
                rs.getString("cause_type"), rs.getLong("letters"), instant(rs, "first_seen"),
                instant(rs, "last_seen")));
    }

    @Override
    public List<EnqueuedHour> enqueuedPerHour(Instant since) {
        MapSqlParameterSource params = new MapSqlParameterSource("since", time(since))
                .addValue("since_epoch", since.getEpochSecond());
        return jdbc.query(sql.enqueuedPerHour(), params, (rs, i) -> new EnqueuedHour(
                rs.getString("processing_group"), since.plusSeconds(3600 * rs.getLong("hour_index")),
                rs.getLong("letters")));
    }

    @Override
    public List<AttemptRecord> attempts(UUID letterId) {
        return jdbc.query(sql.attemptsOfLetter(), new MapSqlParameterSource("letter_id", letterId),
                          (rs, i) -> new AttemptRecord(rs.getInt("attempt"), instant(rs, "failed_at"),
                                                       rs.getString("node"), rs.getString("cause_type"),
                                                       rs.getString("cause_message")));
    }

    @Override
    public Map<UUID, List<AttemptRecord>> attempts(Collection<UUID> letterIds) {
        Map<UUID, List<AttemptRecord>> byLetter = new LinkedHashMap<>();
        letterIds.forEach(id -> byLetter.put(id, new ArrayList<>()));
        if (byLetter.isEmpty()) {
            return byLetter;
        }
        // One statement per chunk, however many letters: an export reads a page of letters, then their histories.
        List<UUID> ids = new ArrayList<>(byLetter.keySet());
        for (int from = 0; from < ids.size(); from += ATTEMPTS_CHUNK) {
            List<UUID> chunk = ids.subList(from, Math.min(ids.size(), from + ATTEMPTS_CHUNK));
            jdbc.query(sql.attemptsOfLetters(), new MapSqlParameterSource("letter_ids", chunk), rs -> {
                byLetter.get(rs.getObject("letter_id", UUID.class)).add(
                        new AttemptRecord(rs.getInt("attempt"), instant(rs, "failed_at"), rs.getString("node"),
                                          rs.getString("cause_type"), rs.getString("cause_message")));
            });
        }
        byLetter.replaceAll((id, list) -> List.copyOf(list));
        return byLetter;
    }

    // --- writes -------------------------------------------------------------------------------------------------

    @Override
    public boolean remove(StoredLetter letter) {
        return inTransaction.execute(status -> removeLetter(letter.id(), letter.processingGroup(),
                                                            letter.sequenceKey()));
    }

    private boolean removeLetter(UUID letterId, String processingGroup, String sequenceKey) {
        MapSqlParameterSource params = sequenceParams(processingGroup, sequenceKey).addValue("removed", 1);
        // Sequence row first, then the letter: the order evictions take them in, so the two never deadlock, and a
        // remover racing another remover of the same letter sees it gone after the lock.
        jdbc.queryForList(sql.lockSequence(), params, Integer.class);
        if (jdbc.update(sql.deleteLetter(), new MapSqlParameterSource("letter_id", letterId)) == 0) {
            return false;
        }
        jdbc.update(sql.shrinkSequence(), params);
        jdbc.update(sql.deleteEmptySequence(), params);
        return true;
    }

    @Override
    public boolean requeue(StoredLetter updated, AttemptRecord attempt) {
        MapSqlParameterSource params = requeueParams(updated);
        return inTransaction.execute(status -> {
            // Sequence row first, then the letter: the order evictions take them in, so the two never deadlock.
            jdbc.update(sql.touchSequence(), params);
            if (jdbc.update(sql.requeueLetter(), params) == 0) {
                return false;
            }
            if (attempt != null) {
                jdbc.update(sql.insertAttemptOfLetter(), attemptParams(updated.id(), attempt));
            }
            return true;
        });
    }

    private MapSqlParameterSource requeueParams(StoredLetter updated) {
        Cause cause = updated.cause().orElse(null);
        return sequenceParams(updated.processingGroup(), updated.sequenceKey())
                .addValue("letter_id", updated.id())
                .addValue("cause_type", cause == null ? null : Causes.type(cause.type()), Types.VARCHAR)
                .addValue("cause_message", cause == null ? null : Causes.truncateMessage(cause.message()),
                          Types.VARCHAR)
                .addValue("cause_stack_trace", Causes.stackTrace(updated.causeStackTrace().orElse(null)),
                          Types.VARCHAR)
                .addValue("diagnostics", codec.serializeDiagnostics(updated.diagnostics()), Types.BINARY)
                // Stand-in of diagnostics that could not be read: writing it would lose them for good.
                .addValue("keep_diagnostics", UNREADABLE_DIAGNOSTICS.equals(updated.diagnostics()), Types.BOOLEAN)
                .addValue("last_touched", time(EventCodec.truncate(updated.lastTouched())));
    }

    @Override
    public int evictLetter(UUID letterId) {
        return inTransaction.execute(status -> {
            Optional<StoredLetter> letter = letter(letterId);
            return letter.isPresent()
                    && removeLetter(letterId, letter.get().processingGroup(), letter.get().sequenceKey()) ? 1 : 0;
        });
    }

    /*
     * Evictions delete the sequence rows first and the letters second, in two statements. Deleting a row waits for
     * every append holding it and makes later appends find the sequence gone, so an append either lands before the
     * eviction (and the second statement, with a fresh snapshot, removes its letter) or stores nothing. The letters
     * deleted are those left without a sequence row, so a sequence started again meanwhile keeps its letters.
     * A group erase first locks the group's sequences in SequenceKeys.LOCK_ORDER, the order one appendIfParked batch
     * takes them in (see DeadLetterStatements.lockGroupSequences). An erase can still meet a deadlock, which the
     * database resolves by failing one of the two (an operator erase is rare; Axon retries a failed batch): with a
     * transaction that appends to several sequences in separate calls, or with a batch that appends to a sequence
     * started while the erase is under way (the erase's delete locks that row, in the database's order).
     */

    @Override
    public int evictSequence(String processingGroup, String sequenceKey) {
        MapSqlParameterSource params = sequenceParams(processingGroup, sequenceKey);
        return inTransaction.execute(status -> {
            jdbc.update(sql.deleteSequence(), params);
            return jdbc.update(sql.deleteSequenceLetters(), params);
        });
    }

    @Override
    public int evictGroup(String processingGroup) {
        MapSqlParameterSource params = groupParams(processingGroup);
        return inTransaction.execute(status -> {
            lockGroupSequences(processingGroup);
            jdbc.update(sql.deleteGroupSequences(), params);
            return jdbc.update(sql.deleteGroupLetters(), params);
        });
    }

    /** In the batches' order: in one statement where the database can, else one row at a time. */
    private void lockGroupSequences(String processingGroup) {
        MapSqlParameterSource params = groupParams(processingGroup);
        if (sql.lockGroupSequences().isPresent()) {
            jdbc.queryForObject(sql.lockGroupSequences().get(), params, Long.class);
            return;
        }
        List<String> keys = new ArrayList<>(jdbc.queryForList(sql.groupSequenceKeys(), params, String.class));
        keys.sort(SequenceKeys.LOCK_ORDER);
        for (String key : keys) {
            jdbc.queryForList(sql.lockSequence(), sequenceParams(processingGroup, key), Integer.class);
        }
    }

    // --- redelivery leases --------------------------------------------------------------------------------------

    @Override
    public Optional<SequenceClaim> claim(String processingGroup, String sequenceKey, Duration lease) {
        MapSqlParameterSource params = sequenceParams(processingGroup, sequenceKey)
                .addValue("owner", nodeId + "/" + UUID.randomUUID())
                .addValue("lease_ms", leaseMillis(lease));
        // Committed before it returns: the lease is visible to everyone at once, and stays if the caller rolls back.
        return ownTransaction.execute(status -> {
            List<Instant> until = jdbc.query(sql.claim(), params, (rs, i) -> instant(rs, "claim_until"));
            if (!until.isEmpty()) {
                return Optional.of(new SequenceClaim(processingGroup, sequenceKey, (String) params.getValue("owner"),
                                                     until.get(0)));
            }
            List<SequenceClaimedException> holders = jdbc.query(
                    sql.sequenceRow(), params,
                    (rs, i) -> new SequenceClaimedException(processingGroup, sequenceKey,
                                                            rs.getString("claim_owner"),
                                                            instant(rs, "claim_until")));
            if (holders.isEmpty()) {
                return Optional.empty();
            }
            throw holders.get(0);
        });
    }

    @Override
    public boolean renew(SequenceClaim claim, Duration lease) {
        MapSqlParameterSource params = leaseParams(claim, lease);
        // Joins the caller's transaction: it may hold the sequence row already (letters removed or requeued), and a
        // transaction of our own would wait for it forever. Others cannot claim meanwhile: the row is locked.
        return Boolean.TRUE.equals(inTransaction.execute(status -> jdbc.update(sql.renew(), params) > 0));
    }

    @Override
    public long removeLeased(SequenceClaim claim, StoredLetter letter, Duration lease) {
        requireOfClaim(claim, letter);
        MapSqlParameterSource params = leaseParams(claim, lease).addValue("letter_id", letter.id());
        // The fence comes first and locks the sequence row (the order every writer of a sequence takes its rows in):
        // from here to the commit nobody can take the sequence over.
        return inTransaction.execute(status -> {
            int left = sql.removeUnderLease().isPresent()
                    ? removeUnderLeaseAtOnce(sql.removeUnderLease().get(), params, claim, letter)
                    : removeUnderLeaseInTwo(params, claim, letter);
            if (left <= 0) {
                jdbc.update(sql.deleteEmptySequence(), params);
            }
            return Math.max(0, left);
        });
    }

    private int removeUnderLeaseAtOnce(String statement, MapSqlParameterSource params, SequenceClaim claim,
                                       StoredLetter letter) {
        List<int[]> rows = jdbc.query(statement, params,
                                      (rs, i) -> new int[]{rs.getInt("letter_count"), rs.getInt("removed")});
        if (rows.isEmpty()) {
            throw new LeaseLostException(claim);
        }
        if (rows.get(0)[1] == 0) {
            throw noSuchLetter(letter);
        }
        return rows.get(0)[0];
    }

    private int removeUnderLeaseInTwo(MapSqlParameterSource params, SequenceClaim claim, StoredLetter letter) {
        List<Integer> left = jdbc.queryForList(sql.shrinkUnderLease(), params, Integer.class);
        if (left.isEmpty()) {
            throw new LeaseLostException(claim);
        }
        if (jdbc.update(sql.deleteLetter(), params) == 0) {
            throw noSuchLetter(letter);
        }
        return left.get(0);
    }

    @Override
    public void requeueLeased(SequenceClaim claim, StoredLetter updated, AttemptRecord attempt, Duration lease) {
        requireOfClaim(claim, updated);
        MapSqlParameterSource params = requeueParams(updated).addValues(leaseParams(claim, lease).getValues());
        inTransaction.executeWithoutResult(status -> {
            if (jdbc.update(sql.touchUnderLease(), params) == 0) {
                throw new LeaseLostException(claim);
            }
            if (jdbc.update(sql.requeueLetter(), params) == 0) {
                throw noSuchLetter(updated);
            }
            if (attempt != null) {
                jdbc.update(sql.insertAttemptOfLetter(), attemptParams(updated.id(), attempt));
            }
        });
    }

    private static void requireOfClaim(SequenceClaim claim, StoredLetter letter) {
        if (!claim.processingGroup().equals(letter.processingGroup())
                || !claim.sequenceKey().equals(letter.sequenceKey())) {
            throw new IllegalArgumentException("Dead letter [" + letter.id() + "] is not of the claimed sequence ["
                                                       + claim.sequenceKey() + "] of processing group ["
                                                       + claim.processingGroup() + "]");
        }
    }

    private static NoSuchDeadLetterException noSuchLetter(StoredLetter letter) {
        return new NoSuchDeadLetterException("Dead letter [" + letter.id() + "] of processing group ["
                                                     + letter.processingGroup() + "] is already gone");
    }

    @Override
    public void release(SequenceClaim claim) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            // The caller's transaction may hold the sequence row; release once it has ended, committed or not, so
            // that a rolled-back redelivery does not keep the sequence leased until the lease expires.
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    releaseNow(claim);
                }
            });
            return;
        }
        releaseNow(claim);
    }

    private void releaseNow(SequenceClaim claim) {
        ownTransaction.executeWithoutResult(status -> jdbc.update(sql.release(), claimParams(claim)));
    }

    // --- background work (retry jobs, automatic retry) ----------------------------------------------------------

    /** One query over the store's tables: the matching sequences, oldest first. */
    @Override
    public List<String> matchingSequenceKeys(String processingGroup, LetterFilter filter, int limit) {
        requirePositive(limit);
        LetterFilter f = filter == null ? LetterFilter.none() : filter;
        MapSqlParameterSource params = groupParams(processingGroup).addValue("limit", limit)
                                                                   .addValue("cause_type", f.causeType())
                                                                   .addValue("payload_type", f.payloadType())
                                                                   .addValue("from", time(f.from()))
                                                                   .addValue("to", time(f.to()));
        return jdbc.queryForList(sql.matchingSequenceKeys(f.causeType() != null, f.payloadType() != null,
                                                          f.from() != null, f.to() != null), params, String.class);
    }

    @Override
    public List<String> processingGroups() {
        return jdbc.queryForList(sql.processingGroups(), new MapSqlParameterSource(), String.class);
    }

    /** The V7 migration, whose columns let {@link #dueForAutomaticRetry} read only what is due. */
    public static final String RETRY_DUE_SCRIPT = "V7__axon_dlq_retry_due.sql";

    /**
     * Reads the automatic-retry table of the operations schema (V2), which must exist. With V7 applied it reads the
     * due sequences only (an index range per step of the schedule); without it, every sequence of the group, as
     * before V7, and it says so once in the log.
     */
    @Override
    public List<DueSequence> dueForAutomaticRetry(String processingGroup, List<Duration> schedule, int limit) {
        requirePositive(limit);
        if (schedule.isEmpty()) {
            return List.of();
        }
        MapSqlParameterSource params = groupParams(processingGroup).addValue("limit", limit)
                                                                   .addValue("scheduled", schedule.size());
        // Waits go to the database in milliseconds, where the due time is computed by its clock (as a lease's end).
        for (int k = 0; k < schedule.size(); k++) {
            params.addValue("wait" + k, schedule.get(k).toMillis());
        }
        String query = hasRetryDueColumns() ? sql.dueForAutomaticRetry(schedule.size())
                : sql.dueForAutomaticRetryWithoutV7(schedule.size());
        return jdbc.query(query, params, (rs, i) -> new DueSequence(rs.getString("sequence_key"), rs.getInt("retries")));
    }

    /** Writes the automatic-retry row and, with V7, its count and time onto the sequence row, in the caller's transaction. */
    @Override
    public boolean recordAutomaticRetry(String processingGroup, String sequenceKey, int retries, String outcome,
                                        Duration nextWait) {
        MapSqlParameterSource params = groupParams(processingGroup)
                .addValue("sequence_key", sequenceKey)
                .addValue("retries", retries)
                .addValue("outcome", outcome)
                .addValue("next_ms", nextWait == null ? null : nextWait.toMillis(), Types.BIGINT);
        boolean recorded = jdbc.update(sql.updateAutomaticRetry(), params) > 0
                || jdbc.update(sql.insertAutomaticRetry(), params) > 0;
        if (recorded && hasRetryDueColumns()) {
            jdbc.update(sql.copyAutomaticRetryToSequence(), params);
        }
        return recorded;
    }

    /** Whether V7 is applied; asked of the database until it is (a schema migrated while running is seen). */
    private boolean hasRetryDueColumns() {
        if (retryDueColumns) {
            return true;
        }
        Long found = jdbc.queryForObject(sql.hasRetryDueColumns(), new MapSqlParameterSource(), Long.class);
        retryDueColumns = found != null && found > 0;
        if (!retryDueColumns && !warnedWithoutRetryDueColumns) {
            warnedWithoutRetryDueColumns = true;
            logger.warn("axon-dlq schema without {} ({} has no retry_base_at): the automatic-retry due query reads "
                                + "every parked sequence of a group on every poll; apply {} to read only the due ones",
                        RETRY_DUE_SCRIPT, sql.sequenceTable, RETRY_DUE_SCRIPT);
        }
        return retryDueColumns;
    }

    @Override
    public Optional<AutomaticRetryState> automaticRetryState(String processingGroup, String sequenceKey) {
        return jdbc.query(sql.automaticRetryState(), groupParams(processingGroup).addValue("sequence_key", sequenceKey),
                          (rs, i) -> new AutomaticRetryState(rs.getString("processing_group"),
                                                             rs.getString("sequence_key"), rs.getInt("retries"),
                                                             instant(rs, "last_retry_at"),
                                                             rs.getString("last_outcome"), instant(rs, "next_at")))
                   .stream().findFirst();
    }

    // --- mapping ------------------------------------------------------------------------------------------------

    private MapSqlParameterSource letterParams(UUID letterId, String processingGroup, String sequenceKey,
                                               LetterDraft draft) {
        SerializedEvent event = codec.serialize(draft.message());
        MetaData metaData = draft.message().getMetaData();
        return sequenceParams(processingGroup, sequenceKey)
                .addValue("letter_id", letterId)
                .addValue("event_identifier", event.eventIdentifier())
                .addValue("message_type", event.messageType())
                .addValue("payload_type", event.payloadType())
                .addValue("payload_revision", event.payloadRevision(), Types.VARCHAR)
                .addValue("payload", event.payload(), Types.BINARY)
                .addValue("meta_data", event.metaData(), Types.BINARY)
                .addValue("aggregate_type", event.aggregateType(), Types.VARCHAR)
                .addValue("aggregate_identifier", event.aggregateIdentifier(), Types.VARCHAR)
                .addValue("aggregate_sequence_number", event.aggregateSequenceNumber(), Types.BIGINT)
                .addValue("token_type", event.tokenType(), Types.VARCHAR)
                .addValue("token", event.token(), Types.BINARY)
                .addValue("event_timestamp", time(event.timestamp()))
                .addValue("enqueued_at", time(EventCodec.truncate(draft.enqueuedAt())))
                .addValue("last_touched", time(EventCodec.truncate(draft.lastTouched())))
                .addValue("cause_type", draft.causeType(), Types.VARCHAR)
                .addValue("cause_message", draft.causeMessage(), Types.VARCHAR)
                .addValue("cause_stack_trace", draft.causeStackTrace(), Types.VARCHAR)
                .addValue("attempts", draft.attempts())
                .addValue("diagnostics", codec.serializeDiagnostics(draft.diagnostics()), Types.BINARY)
                .addValue("correlation_id", metaDataString(metaData, "correlationId"), Types.VARCHAR)
                .addValue("trace_id", metaDataString(metaData, "traceId"), Types.VARCHAR)
                .addValue("parked", draft.parked(), Types.BOOLEAN)
                .addValue("event_digest", EventDigest.of(event), Types.VARCHAR);
    }

    private MapSqlParameterSource attemptParams(UUID letterId, AttemptRecord attempt) {
        return new MapSqlParameterSource("letter_id", letterId)
                .addValue("attempt", attempt.attempt())
                .addValue("failed_at", time(EventCodec.truncate(attempt.failedAt())))
                .addValue("node", attempt.node(), Types.VARCHAR)
                .addValue("cause_type", attempt.causeType(), Types.VARCHAR)
                .addValue("cause_message", attempt.causeMessage(), Types.VARCHAR);
    }

    private static MapSqlParameterSource claimParams(SequenceClaim claim) {
        return sequenceParams(claim.processingGroup(), claim.sequenceKey()).addValue("owner", claim.owner());
    }

    private static MapSqlParameterSource leaseParams(SequenceClaim claim, Duration lease) {
        return claimParams(claim).addValue("lease_ms", leaseMillis(lease));
    }

    private static MapSqlParameterSource groupParams(String processingGroup) {
        return new MapSqlParameterSource("processing_group", processingGroup);
    }

    private static MapSqlParameterSource sequenceParams(String processingGroup, String sequenceKey) {
        return groupParams(processingGroup).addValue("sequence_key", sequenceKey);
    }

    private static String metaDataString(MetaData metaData, String key) {
        Object value = metaData.get(key);
        return value == null ? null : StoredText.text(value.toString(), StoredText.SHORT_TEXT);
    }

    private StoredLetter mapLetter(ResultSet rs, int row) throws SQLException {
        long sequenceNumber = rs.getLong("aggregate_sequence_number");
        Long aggregateSequenceNumber = rs.wasNull() ? null : sequenceNumber;
        SerializedEvent event = new SerializedEvent(
                rs.getString("event_identifier"), rs.getString("message_type"), rs.getString("payload_type"),
                rs.getString("payload_revision"), rs.getBytes("payload"), rs.getBytes("meta_data"),
                rs.getString("aggregate_type"), rs.getString("aggregate_identifier"), aggregateSequenceNumber,
                rs.getString("token_type"), rs.getBytes("token"), instant(rs, "event_timestamp"));
        String causeType = rs.getString("cause_type");
        Cause cause = causeType == null ? null : new ThrowableCause(causeType, rs.getString("cause_message"));
        UUID id = rs.getObject("letter_id", UUID.class);
        return new StoredLetter(id, rs.getString("processing_group"), rs.getString("sequence_key"),
                                rs.getLong("sequence_index"), event, instant(rs, "enqueued_at"),
                                instant(rs, "last_touched"), cause, rs.getString("cause_stack_trace"),
                                rs.getInt("attempts"), readDiagnostics(id, rs.getBytes("diagnostics")),
                                rs.getString("correlation_id"), rs.getString("trace_id"), rs.getBoolean("parked"),
                                codec);
    }

    /** What a letter whose stored diagnostics cannot be read shows instead (a requeue keeps the stored ones). */
    static final MetaData UNREADABLE_DIAGNOSTICS = MetaData.with("unreadableDiagnostics", "cannot be read");

    private MetaData readDiagnostics(UUID letterId, byte[] bytes) {
        try {
            return codec.readDiagnostics(bytes);
        } catch (RuntimeException e) {
            // Diagnostics are informational: an unreadable entry must not make the letter unlistable.
            logger.warn("Diagnostics of dead letter [{}] cannot be read: {}", letterId, e.getMessage());
            return UNREADABLE_DIAGNOSTICS;
        }
    }

    private SequenceSummary mapSequence(ResultSet rs, int row) throws SQLException {
        Instant claimUntil = instant(rs, "claim_until");
        String owner = rs.getString("claim_owner");
        // Whether the lease is still running is the database's call, by its clock.
        boolean claimed = owner != null && rs.getInt("claim_active") == 1;
        return new SequenceSummary(rs.getString("processing_group"), rs.getString("sequence_key"),
                                   rs.getInt("letter_count"), instant(rs, "oldest_enqueued_at"),
                                   instant(rs, "last_touched"), rs.getObject("letter_id", UUID.class),
                                   rs.getString("event_identifier"), rs.getString("payload_type"),
                                   rs.getString("cause_type"), claimed ? owner : null,
                                   claimed ? claimUntil : null);
    }

    private static OffsetDateTime time(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static void requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
    }

    /** Lease lengths go to the database in milliseconds, where the lease's end is computed by its clock. */
    private static long leaseMillis(Duration lease) {
        if (lease == null || lease.toMillis() < 1) {
            throw new IllegalArgumentException("lease must be at least 1 ms, was " + lease);
        }
        return lease.toMillis();
    }

    /** Builder; validates every input and fails with {@link AxonConfigurationException}, like Axon's builders. */
    public static final class Builder {

        private DataSource dataSource;
        private PlatformTransactionManager transactionManager;
        private Serializer eventSerializer;
        private Serializer genericSerializer;
        private SqlDialect dialect;
        private String tablePrefix = SchemaInitializer.DEFAULT_TABLE_PREFIX;
        private DeadLetterLimits defaultLimits = DeadLetterLimits.DEFAULT;
        private final Map<String, DeadLetterLimits> groupLimits = new HashMap<>();
        private Function<String, DeadLetterLimits> limitsOfGroup = group -> null;
        private Function<Object, String> keyEncoder;
        private String nodeId = NodeId.local();
        private Supplier<? extends EventUpcaster> upcasterChain = () -> null;

        private Builder() {
        }

        /** Required. The store joins transactions bound to this data source. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = require(dataSource, "dataSource");
            return this;
        }

        /**
         * Optional; defaults to a {@code DataSourceTransactionManager} on the data source. Pass the application's
         * manager so that store writes join the processor's transaction. With JPA ({@code JpaTransactionManager}) it
         * is required in practice: the default would not see the JPA transaction as one and would commit the
         * connection's work after each store write, half-way through the processor's batch.
         */
        public Builder transactionManager(PlatformTransactionManager transactionManager) {
            this.transactionManager = require(transactionManager, "transactionManager");
            return this;
        }

        /** Required. Serializes payloads and metadata; use the one your event store uses. */
        public Builder eventSerializer(Serializer eventSerializer) {
            this.eventSerializer = require(eventSerializer, "eventSerializer");
            return this;
        }

        /** Required. Serializes tracking tokens and diagnostics. */
        public Builder genericSerializer(Serializer genericSerializer) {
            this.genericSerializer = require(genericSerializer, "genericSerializer");
            return this;
        }

        /** Optional; detected from the data source's metadata when absent. */
        public Builder dialect(SqlDialect dialect) {
            this.dialect = require(dialect, "dialect");
            return this;
        }

        public Builder tablePrefix(String tablePrefix) {
            require(tablePrefix, "tablePrefix");
            try {
                SqlDialect.H2.statements(tablePrefix);
            } catch (IllegalArgumentException e) {
                throw new AxonConfigurationException(e.getMessage());
            }
            this.tablePrefix = tablePrefix;
            return this;
        }

        public Builder limits(DeadLetterLimits limits) {
            this.defaultLimits = require(limits, "limits");
            return this;
        }

        public Builder limits(String processingGroup, DeadLetterLimits limits) {
            groupLimits.put(requireText(processingGroup, "processingGroup"), require(limits, "limits"));
            return this;
        }

        /**
         * Optional; a group's limits when no {@link #limits(String, DeadLetterLimits)} names the group, null for the
         * default ones. For configurations whose groups are matched by a rule rather than by name; asked on every
         * limit check, so it should answer from memory.
         */
        public Builder limitsOfGroup(Function<String, DeadLetterLimits> limitsOfGroup) {
            this.limitsOfGroup = require(limitsOfGroup, "limitsOfGroup");
            return this;
        }

        /**
         * Optional; replaces {@link SequenceKeys#encode} for identifier types whose toString is not injective. A key
         * the store cannot hold as is (too long, or holding U+0000) is stored hashed, as {@link SequenceKeys} does.
         */
        public Builder sequenceKeyEncoder(Function<Object, String> keyEncoder) {
            this.keyEncoder = require(keyEncoder, "keyEncoder");
            return this;
        }

        /** Optional; names this node in leases and attempt history. Defaults to {@code host:pid}. */
        public Builder nodeId(String nodeId) {
            this.nodeId = requireText(nodeId, "nodeId");
            return this;
        }

        /**
         * Optional; the application's upcaster chain, usually {@code Configuration::upcasterChain} (in a module's
         * {@code store(c -> ...)} function: {@code upcasterChain(c::upcasterChain)}). Letters are read through it as
         * the event store reads events: a letter stored with an older payload type or revision is upcast before it is
         * deserialized, for redelivery and for views; the stored letter is never rewritten. Looked up on each read
         * (cache it in the supplier if it is costly); a supplier returning null reads letters as they were stored,
         * which is the default.
         */
        public Builder upcasterChain(Supplier<? extends EventUpcaster> upcasterChain) {
            this.upcasterChain = require(upcasterChain, "upcasterChain");
            return this;
        }

        public JdbcDeadLetterStore build() {
            if (dataSource == null) {
                throw new AxonConfigurationException("JdbcDeadLetterStore needs a dataSource");
            }
            if (eventSerializer == null || genericSerializer == null) {
                throw new AxonConfigurationException(
                        "JdbcDeadLetterStore needs an eventSerializer and a genericSerializer");
            }
            return new JdbcDeadLetterStore(this);
        }

        private static <T> T require(T value, String name) {
            if (value == null) {
                throw new AxonConfigurationException(name + " may not be null");
            }
            return value;
        }

        private static String requireText(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new AxonConfigurationException(name + " may not be null or blank");
            }
            return value;
        }
    }
}
