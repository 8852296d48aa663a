-- axon-dlq schema for H2 (2.x). Re-runnable: every statement is IF NOT EXISTS.
-- ${axon_dlq_prefix} is the table prefix (default "axon_dlq_"); with Flyway set
-- spring.flyway.placeholders.axon_dlq_prefix (the axon-dlq auto-configuration does it for you).

-- One row per parked sequence: the counters that keep limits and indexes free of COUNT(*),
-- the segment key that primes a segment's parked set in one index range scan, and the redelivery lease.
-- segment_key is the sequence identifier's hashCode bit-reversed, as unsigned 32-bit: Axon's segments
-- select on the hash's low bits, which reversed become high bits, so each segment is one key range.
CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}sequence (
    processing_group  VARCHAR(255)             NOT NULL,
    sequence_key      VARCHAR(1024)            NOT NULL,
    segment_key       BIGINT                   NOT NULL,
    letter_count      INTEGER                  NOT NULL,
    last_index        BIGINT                   NOT NULL,
    oldest_enqueued_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_touched      TIMESTAMP WITH TIME ZONE NOT NULL,
    claim_owner       VARCHAR(255),
    claim_until       TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (processing_group, sequence_key)
);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}sequence_touched_idx
    ON ${axon_dlq_prefix}sequence (processing_group, last_touched, sequence_key);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}sequence_segment_idx
    ON ${axon_dlq_prefix}sequence (processing_group, segment_key, sequence_key);

CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}letter (
    letter_id                 UUID                     NOT NULL PRIMARY KEY,
    processing_group          VARCHAR(255)             NOT NULL,
    sequence_key              VARCHAR(1024)            NOT NULL,
    sequence_index            BIGINT                   NOT NULL,
    event_identifier          VARCHAR(255)             NOT NULL,
    message_type              VARCHAR(255)             NOT NULL,
    payload_type              VARCHAR(512)             NOT NULL,
    payload_revision          VARCHAR(255),
    payload                   BLOB                     NOT NULL,
    meta_data                 BLOB, 
    aggregate_type            VARCHAR(255),
    aggregate_identifier      VARCHAR(255),
    aggregate_sequence_number BIGINT,
    token_type                VARCHAR(512),
    token                     BLOB, 
    event_timestamp           TIMESTAMP WITH TIME ZONE NOT NULL,
    enqueued_at               TIMESTAMP WITH TIME ZONE NOT NULL,
    last_touched              TIMESTAMP WITH TIME ZONE NOT NULL,
    cause_type                VARCHAR(512),
    cause_message             VARCHAR(1023),
    cause_stack_trace         CLOB,
    attempts                  INTEGER                  NOT NULL,
    diagnostics               BLOB, 
    correlation_id            VARCHAR(255),
    trace_id                  VARCHAR(255),
    parked                    BOOLEAN                  NOT NULL,
    CONSTRAINT ${axon_dlq_prefix}letter_position_uq UNIQUE (processing_group, sequence_key, sequence_index)
);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}letter_listing_idx
    ON ${axon_dlq_prefix}letter (processing_group, enqueued_at, letter_id);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}letter_cause_idx
    ON ${axon_dlq_prefix}letter (processing_group, cause_type);

CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}attempt (
    letter_id      UUID                     NOT NULL,
    attempt        INTEGER                  NOT NULL,
    failed_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    node           VARCHAR(255),
    cause_type     VARCHAR(512),
    cause_message  VARCHAR(1023),
    PRIMARY KEY (letter_id, attempt),
    CONSTRAINT ${axon_dlq_prefix}attempt_letter_fk FOREIGN KEY (letter_id)
        REFERENCES ${axon_dlq_prefix}letter (letter_id) ON DELETE CASCADE
);
