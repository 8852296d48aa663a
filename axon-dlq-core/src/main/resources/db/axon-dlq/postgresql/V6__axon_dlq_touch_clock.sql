-- axon-dlq schema, sixth step. Re-runnable (IF NOT EXISTS).
-- touched_at: when the sequence was last touched (parked, a redelivery failed), by the database's clock. The
-- automatic-retry schedule counts from it, so that nodes with skewed clocks agree on when a retry is due;
-- last_touched keeps the writing node's time, which Axon's DeadLetter API (lastTouched) defines. NULL on rows
-- written before this step: the schedule falls back to last_touched for them.
ALTER TABLE ${axon_dlq_prefix}sequence ADD COLUMN IF NOT EXISTS touched_at TIMESTAMP WITH TIME ZONE;
