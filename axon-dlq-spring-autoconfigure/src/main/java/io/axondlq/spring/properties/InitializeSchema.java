package io.axondlq.spring.properties;

/** When and how axon-dlq creates its tables. */
public enum InitializeSchema {
    /** Only for embedded (in-memory) databases. */
    EMBEDDED,
    /** Always, at start-up (every script is safe to run again). */
    ALWAYS,
    /**
     * axon-dlq's own Flyway migrations ({@code classpath:db/axon-dlq/{vendor}}) with a history table of their own
     * ({@code <table-prefix>schema_history}), so that their versions never meet the application's. Needs
     * {@code flyway-core} (and {@code flyway-database-postgresql} on PostgreSQL).
     */
    FLYWAY,
    /** Never: create the tables yourself (the scripts are in {@code classpath:db/axon-dlq/{vendor}}). */
    NEVER
}
