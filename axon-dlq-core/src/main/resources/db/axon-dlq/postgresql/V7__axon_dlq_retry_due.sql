-- axon-dlq schema, seventh step: the automatic-retry due query reads only what is due. Re-runnable (IF NOT EXISTS,
-- and the copy below repairs only rows that differ).
-- Before this step every poll walked every parked sequence of the group in last-touched order and probed auto_retry
-- for each, so the sequences whose schedule was used up (they wait for an operator and age to the front) were read
-- on every poll. Now the sequence row carries its automatic-retry count and where its schedule counts from, indexed
-- by (group, count, base): the query reads, for each step k of the configured schedule, the sequences with k retries
-- whose base is at least schedule[k] in the past. Used-up sequences (count >= schedule length) are never read.
-- The waits stay configuration, applied when the query runs: a changed schedule applies at once to every sequence.

-- auto_retries: automatic retries so far (auto_retry.retries, 0 without a row); written with the auto_retry row.
-- auto_retried_at: the last automatic retry (auto_retry.last_retry_at), database clock, NULL without one.
ALTER TABLE ${axon_dlq_prefix}sequence ADD COLUMN IF NOT EXISTS auto_retries INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE ${axon_dlq_prefix}sequence ADD COLUMN IF NOT EXISTS auto_retried_at TIMESTAMP WITH TIME ZONE;

-- retry_base_at: where the schedule counts from, the later of the last touch (touched_at, V6, by the database's
-- clock, last_touched on rows last touched before V6) and the last automatic retry. Computed by the database on
-- every write, so parking, a failed redelivery and a recorded retry move it without a statement of their own.
ALTER TABLE ${axon_dlq_prefix}sequence ADD COLUMN IF NOT EXISTS retry_base_at TIMESTAMP WITH TIME ZONE
    GENERATED ALWAYS AS (GREATEST(COALESCE(touched_at, last_touched),
                                  COALESCE(auto_retried_at, touched_at, last_touched))) STORED;

-- The copy below reads auto_retry, which V2 creates (the operations tables): the same definition here, so that this
-- step runs where V2 has not (yet), e.g. with the store's scripts only. Where V2 ran this is a no-op.
CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}auto_retry (
    processing_group  VARCHAR(255)             NOT NULL,
    sequence_key      VARCHAR(1024)            NOT NULL,
    retries           INTEGER                  NOT NULL,
    last_retry_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    last_outcome      VARCHAR(16)              NOT NULL,
    next_at           TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (processing_group, sequence_key),
    CONSTRAINT ${axon_dlq_prefix}auto_retry_sequence_fk FOREIGN KEY (processing_group, sequence_key)
        REFERENCES ${axon_dlq_prefix}sequence (processing_group, sequence_key) ON DELETE CASCADE
);

-- Sequences retried before this step (or by a node of an older version since): their count and last retry copied
-- from auto_retry. Rows that already agree are not written again.
UPDATE ${axon_dlq_prefix}sequence s
SET auto_retries = (SELECT a.retries FROM ${axon_dlq_prefix}auto_retry a
                    WHERE a.processing_group = s.processing_group AND a.sequence_key = s.sequence_key),
    auto_retried_at = (SELECT a.last_retry_at FROM ${axon_dlq_prefix}auto_retry a
                       WHERE a.processing_group = s.processing_group AND a.sequence_key = s.sequence_key)
WHERE EXISTS (SELECT 1 FROM ${axon_dlq_prefix}auto_retry a
              WHERE a.processing_group = s.processing_group AND a.sequence_key = s.sequence_key
                AND (a.retries <> s.auto_retries OR a.last_retry_at IS DISTINCT FROM s.auto_retried_at));

-- Built after the copy, so that it holds no entries of the row versions the copy replaced.
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}sequence_retry_due_idx
    ON ${axon_dlq_prefix}sequence (processing_group, auto_retries, retry_base_at);
