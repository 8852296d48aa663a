-- axon-dlq schema, fourth step. Re-runnable.

-- The dashboard's chart counts the letters enqueued in the last 24 hours of every group (one query): this index lets
-- it read those letters only, not a backlog of older ones.
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}letter_enqueued_idx ON ${axon_dlq_prefix}letter (enqueued_at);
