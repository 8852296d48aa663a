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

-- A group holds at most one letter per event: Axon delivers at least once (merges, lost claims). An event is its
-- identifier AND its serialized payload (type, revision, bytes, as a digest): an upcaster that splits one stored
-- event into several gives them all the source's identifier, and each of them is an event of its own. Letters
-- written before this version have no digest and are left alone.
ALTER TABLE ${axon_dlq_prefix}letter ADD COLUMN IF NOT EXISTS event_digest VARCHAR(64);
CREATE UNIQUE INDEX IF NOT EXISTS ${axon_dlq_prefix}letter_event_digest_uq
    ON ${axon_dlq_prefix}letter (processing_group, event_identifier, event_digest);
