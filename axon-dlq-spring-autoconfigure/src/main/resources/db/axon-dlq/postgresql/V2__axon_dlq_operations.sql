-- axon-dlq operations schema for PostgreSQL: retry jobs and the audit log (Spring Boot module).
-- Re-runnable: every statement is IF NOT EXISTS. ${axon_dlq_prefix} as in V1.

CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}retry_job (
    job_id            UUID                     NOT NULL PRIMARY KEY,
    processing_group  VARCHAR(255)             NOT NULL,
    idempotency_key   VARCHAR(255),
    request_hash      VARCHAR(64)              NOT NULL,
    request           TEXT                     NOT NULL,
    batch_size        INTEGER                  NOT NULL,
    cooldown_ms       BIGINT                   NOT NULL,
    state             VARCHAR(16)              NOT NULL,
    stop_requested    BOOLEAN                  NOT NULL,
    total             INTEGER                  NOT NULL,
    succeeded         INTEGER                  NOT NULL,
    failed            INTEGER                  NOT NULL,
    skipped           INTEGER                  NOT NULL,
    created_by        VARCHAR(255),
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    next_batch_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    owner             VARCHAR(255),
    lease_until       TIMESTAMP WITH TIME ZONE,
    failure           VARCHAR(1023),
    CONSTRAINT ${axon_dlq_prefix}retry_job_key_uq UNIQUE (idempotency_key)
);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}retry_job_state_idx
    ON ${axon_dlq_prefix}retry_job (state, next_batch_at);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}retry_job_created_idx
    ON ${axon_dlq_prefix}retry_job (created_at, job_id);

CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}retry_job_sequence (
    job_id            UUID                     NOT NULL,
    position          INTEGER                  NOT NULL,
    sequence_key      VARCHAR(1024)            NOT NULL,
    outcome           VARCHAR(16)              NOT NULL,
    redelivered       INTEGER                  NOT NULL,
    remaining         BIGINT                   NOT NULL,
    detail            VARCHAR(1023),
    finished_at       TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (job_id, position),
    CONSTRAINT ${axon_dlq_prefix}retry_job_sequence_fk FOREIGN KEY (job_id)
        REFERENCES ${axon_dlq_prefix}retry_job (job_id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}audit (
    audit_id          UUID                     NOT NULL PRIMARY KEY,
    occurred_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    actor             VARCHAR(255)             NOT NULL,
    action            VARCHAR(64)              NOT NULL,
    processing_group  VARCHAR(255),
    target            VARCHAR(1024),
    parameters        TEXT,
    outcome           VARCHAR(32)              NOT NULL,
    detail            VARCHAR(1023)
);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}audit_time_idx
    ON ${axon_dlq_prefix}audit (occurred_at, audit_id);
