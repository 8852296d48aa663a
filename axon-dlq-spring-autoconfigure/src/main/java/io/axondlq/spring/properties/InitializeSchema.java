package io.axondlq.spring.properties;

/** When the schema is created by axon-dlq itself. */
public enum InitializeSchema {
    /** Only for embedded (in-memory) databases. */
    EMBEDDED,
    /** Always (every statement is IF NOT EXISTS). */
    ALWAYS,
    /** Never: use Flyway (classpath:db/axon-dlq/{vendor}) or your own DDL. */
    NEVER
}
