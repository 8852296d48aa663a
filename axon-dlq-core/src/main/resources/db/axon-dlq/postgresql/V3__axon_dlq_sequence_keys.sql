-- axon-dlq: sequence keys stable across JVMs and always storable. Re-runnable (IF NOT EXISTS).
-- full_key: for a sequence key stored hashed (~sha-256:..., see io.axondlq.jdbc.SequenceKeys), the escaped full key,
-- compared on every append so that a hash collision never merges two sequences; NULL for every other key.
-- Not indexed. segment_key = -1 (no DDL needed) marks a sequence whose identifier hashes by identity: every
-- segment's parked set includes it.
ALTER TABLE ${axon_dlq_prefix}sequence ADD COLUMN IF NOT EXISTS full_key TEXT;
