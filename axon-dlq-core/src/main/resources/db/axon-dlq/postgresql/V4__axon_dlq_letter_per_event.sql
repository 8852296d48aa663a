-- axon-dlq schema, third step. Re-runnable: with nothing left to repair, every statement is a no-op.

-- One row per processing group that has started a sequence. Starting a sequence locks it first, so that
-- the max-sequences check (a COUNT taken after that lock) is exact however many writers start sequences.
CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}group_lock (
    processing_group VARCHAR(255) NOT NULL PRIMARY KEY,
    lock_count       BIGINT       NOT NULL
);

-- Letters left without their sequence row by an eviction racing an append (before this version): not
-- redeliverable, not counted, and in the way of their key's next start. An eviction meant to remove them;
-- it does now. Statements write a sequence row and its letters together, so nothing live is ever matched.
DELETE FROM ${axon_dlq_prefix}letter l
WHERE NOT EXISTS (SELECT 1 FROM ${axon_dlq_prefix}sequence s
                  WHERE s.processing_group = l.processing_group AND s.sequence_key = l.sequence_key);

-- A group holds at most one letter per event identifier (Axon delivers at least once). Letters stored twice
-- before this migration are removed first, keeping the first one (one total order: enqueued, index, id, so
-- exactly one survives), and their sequences' counters follow.
UPDATE ${axon_dlq_prefix}sequence s SET letter_count = letter_count - (
    SELECT COUNT(*) FROM ${axon_dlq_prefix}letter l
    WHERE l.processing_group = s.processing_group AND l.sequence_key = s.sequence_key
      AND EXISTS (SELECT 1 FROM ${axon_dlq_prefix}letter d
                  WHERE d.processing_group = l.processing_group AND d.event_identifier = l.event_identifier
                    AND (d.enqueued_at, d.sequence_index, d.letter_id)
                        < (l.enqueued_at, l.sequence_index, l.letter_id)))
WHERE EXISTS (
    SELECT 1 FROM ${axon_dlq_prefix}letter l
    WHERE l.processing_group = s.processing_group AND l.sequence_key = s.sequence_key
      AND EXISTS (SELECT 1 FROM ${axon_dlq_prefix}letter d
                  WHERE d.processing_group = l.processing_group AND d.event_identifier = l.event_identifier
                    AND (d.enqueued_at, d.sequence_index, d.letter_id)
                        < (l.enqueued_at, l.sequence_index, l.letter_id)));
DELETE FROM ${axon_dlq_prefix}letter l
WHERE EXISTS (SELECT 1 FROM ${axon_dlq_prefix}letter d
              WHERE d.processing_group = l.processing_group AND d.event_identifier = l.event_identifier
                AND (d.enqueued_at, d.sequence_index, d.letter_id)
                    < (l.enqueued_at, l.sequence_index, l.letter_id));
DELETE FROM ${axon_dlq_prefix}sequence WHERE letter_count <= 0;
CREATE UNIQUE INDEX IF NOT EXISTS ${axon_dlq_prefix}letter_event_uq
    ON ${axon_dlq_prefix}letter (processing_group, event_identifier);
