-- axon-dlq operations schema for PostgreSQL: retry jobs, the audit log and automatic retry (Spring Boot module).
-- Re-runnable: every statement is IF NOT EXISTS. ${axon_dlq_prefix} as in V1.

-- One row per bulk retry job. running_group holds the processing group while the job is RUNNING and is NULL
-- otherwise: its UNIQUE constraint (NULLs never collide) allows at most one running job per group, race-free.
-- owner / lease_until: the node running the current batch (NULL between batches), taken over when expired.
-- next_batch_at: when the next batch may start (cooldown). batches: batches started so far.
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
    running_group     VARCHAR(255),
    total             INTEGER                  NOT NULL,
    succeeded         INTEGER                  NOT NULL,
    failed            INTEGER                  NOT NULL,
    skipped           INTEGER                  NOT NULL,
    batches           INTEGER                  NOT NULL,
    created_by        VARCHAR(255),
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    next_batch_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    owner             VARCHAR(255),
    lease_until       TIMESTAMP WITH TIME ZONE,
    failure           VARCHAR(1023),
    CONSTRAINT ${axon_dlq_prefix}retry_job_key_uq UNIQUE (idempotency_key),
    CONSTRAINT ${axon_dlq_prefix}retry_job_running_uq UNIQUE (running_group)
);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}retry_job_state_idx
    ON ${axon_dlq_prefix}retry_job (state, next_batch_at);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}retry_job_created_idx
    ON ${axon_dlq_prefix}retry_job (created_at, job_id);

-- The job's snapshot: the sequences that matched when it started, in processing order (position), each PENDING
-- until processed, then its outcome (DRAINED, FAILED, UNREADABLE, LEASE_LOST, NOT_FOUND, CLAIMED) and the batch.
CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}retry_job_sequence (
    job_id            UUID                     NOT NULL,
    position          INTEGER                  NOT NULL,
    sequence_key      VARCHAR(1024)            NOT NULL,
    outcome           VARCHAR(16)              NOT NULL,
    redelivered       INTEGER                  NOT NULL,
    remaining         BIGINT                   NOT NULL,
    detail            VARCHAR(1023),
    finished_at       TIMESTAMP WITH TIME ZONE,
    batch_no          INTEGER,
    PRIMARY KEY (job_id, position),
    CONSTRAINT ${axon_dlq_prefix}retry_job_sequence_fk FOREIGN KEY (job_id)
        REFERENCES ${axon_dlq_prefix}retry_job (job_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ${axon_dlq_prefix}retry_job_sequence_pending_idx
    ON ${axon_dlq_prefix}retry_job_sequence (job_id, outcome, position);

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

-- Automatic retry (axon.dlq.auto-retry.*): one lease row per processing group ('auto-retry:<group>') names the node
-- that redelivers the group's due sequences; owner / lease_until NULL when released. Expired leases are taken over.
CREATE TABLE IF NOT EXISTS ${axon_dlq_prefix}scheduler_lease (
    name              VARCHAR(512)             NOT NULL PRIMARY KEY,
    owner             VARCHAR(255),
    lease_until       TIMESTAMP WITH TIME ZONE
);

-- Per parked sequence: automatic retries so far, when the last one ran and its outcome, and when the next is due
-- (NULL once the schedule is exhausted: the sequence waits for an operator). A sequence without a row has had none.
-- The row goes with its sequence (drained or evicted): a later sequence with the same key starts the schedule anew.
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
