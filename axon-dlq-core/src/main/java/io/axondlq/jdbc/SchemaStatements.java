package io.axondlq.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Every SQL statement of {@link SchemaInitializer} around the migration scripts: its record of applied scripts
 * ({@code <prefix>schema_version}), Flyway's history of the same scripts ({@code <prefix>schema_history}), and what
 * serialises and bounds a run. Dialects differ in the lock that serialises nodes, the bounded lock wait, and H2's type
 * names.
 */
abstract class SchemaStatements {

    final String versionTable;
    /** Flyway mode's history table; Flyway quotes its name, so its case is the prefix's. */
    final String flywayHistoryTable;
    final String tablePrefix;

    SchemaStatements(String tablePrefix) {
        this.tablePrefix = tablePrefix;
        this.versionTable = tablePrefix + "schema_version";
        this.flywayHistoryTable = tablePrefix + "schema_history";
    }

    static SchemaStatements of(SqlDialect dialect, String tablePrefix) {
        return switch (dialect) {
            case POSTGRESQL -> new Postgres(tablePrefix);
            case H2 -> new H2(tablePrefix);
        };
    }

    /** 1 when a table of this unquoted name (folded to the database's case) is in the current schema. */
    String tableExists() {
        return "SELECT COUNT(*) FROM information_schema.tables WHERE UPPER(table_name) = UPPER(?) "
                + "AND table_schema = CURRENT_SCHEMA";
    }

    /** 1 when the table of this unquoted name in the current schema has a column of this unquoted name. */
    String columnExists() {
        return "SELECT COUNT(*) FROM information_schema.columns WHERE UPPER(table_name) = UPPER(?) "
                + "AND UPPER(column_name) = UPPER(?) AND table_schema = CURRENT_SCHEMA";
    }

    /** 1 when a table of exactly this (quoted) name is in the current schema. */
    String quotedTableExists() {
        return "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = CURRENT_SCHEMA";
    }

    /** One row per script applied (or found applied by Flyway): a later start runs only what has no row. */
    String createVersionTable() {
        return "CREATE TABLE IF NOT EXISTS " + versionTable + " ("
                + "script VARCHAR(255) NOT NULL PRIMARY KEY, "
                + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL, "
                + "applied_by VARCHAR(16) NOT NULL)";
    }

    String appliedScripts() {
        return "SELECT script FROM " + versionTable;
    }

    /** Parameters: script, applied_by, script. Runs under the schema lock, so NOT EXISTS suffices. */
    String recordScript() {
        return "INSERT INTO " + versionTable + " (script, applied_at, applied_by) "
                + "SELECT CAST(? AS VARCHAR(255)), CURRENT_TIMESTAMP, CAST(? AS VARCHAR(16)) "
                + "WHERE NOT EXISTS (SELECT 1 FROM " + versionTable + " WHERE script = ?)";
    }

    /** The versions Flyway mode applied successfully ({@code "1"}, {@code "2"}, ...). */
    String flywayVersions() {
        return "SELECT \"version\" FROM \"" + flywayHistoryTable + "\" WHERE \"success\" = TRUE "
                + "AND \"version\" IS NOT NULL";
    }

    /** Serialises initializers across nodes until the transaction ends (parameter: {@link #lockKey()}), or null. */
    abstract String lockSchema();

    /** The session's lock wait, to restore it afterwards; null where {@link #setLockTimeout()} is null. */
    abstract String currentLockTimeout();

    /** Bounds every lock wait until the transaction ends (parameter: the wait, as text), or null. */
    abstract String setLockTimeout();

    /** The lock wait as {@link #setLockTimeout()} takes it. */
    String lockTimeoutValue(long millis) {
        return millis + "ms";
    }

    /** The compatibility mode of the database ({@code REGULAR} for none), or null where there is none. */
    abstract String compatibilityMode();

    /** A script's statement as this database runs it. */
    String ddl(String statement) {
        return statement;
    }

    /** The key of {@link #lockSchema()}: one per prefix (the database folds unquoted names, so its case does not count). */
    long lockKey() {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                                       .digest(("axon-dlq schema " + tablePrefix.toLowerCase(Locale.ROOT))
                                                       .getBytes(StandardCharsets.UTF_8));
            long key = 0;
            for (int i = 0; i < Long.BYTES; i++) {
                key = (key << 8) | (hash[i] & 0xFF);
            }
            return key;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * A transaction-scoped advisory lock: released by the commit or rollback that ends the run, also when the node
     * dies. {@code lock_timeout} bounds every DDL lock wait: an {@code ALTER TABLE} queued behind a long transaction
     * would otherwise queue every other session's reads of that table behind itself. It bounds the wait for the
     * advisory lock as well (a heavyweight lock, so the same timeout and SQLSTATE 55P03), when set before it.
     */
    static final class Postgres extends SchemaStatements {

        Postgres(String tablePrefix) {
            super(tablePrefix);
        }

        @Override
        String lockSchema() {
            return "SELECT pg_advisory_xact_lock(?)";
        }

        @Override
        String currentLockTimeout() {
            return "SELECT current_setting('lock_timeout')";
        }

        @Override
        String setLockTimeout() {
            return "SELECT set_config('lock_timeout', ?, TRUE)";
        }

        @Override
        String compatibilityMode() {
            return null;
        }
    }

    /**
     * H2 has no advisory lock (and DDL commits, so no row lock outlives a statement): {@link SchemaInitializer}
     * serialises the pools of one database in the JVM instead. Its own lock wait ({@code LOCK_TIMEOUT}) is bounded
     * already.
     */
    static final class H2 extends SchemaStatements {

        /** The scripts' BLOB and CLOB under their standard names: the same types, known in every compatibility mode. */
        private static final Pattern BLOB = Pattern.compile("\\bBLOB\\b");
        private static final Pattern CLOB = Pattern.compile("\\bCLOB\\b");

        H2(String tablePrefix) {
            super(tablePrefix);
        }

        @Override
        String lockSchema() {
            return null;
        }

        @Override
        String currentLockTimeout() {
            return null;
        }

        @Override
        String setLockTimeout() {
            return null;
        }

        @Override
        String compatibilityMode() {
            return "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'MODE'";
        }

        @Override
        String ddl(String statement) {
            String blobs = BLOB.matcher(statement).replaceAll("BINARY LARGE OBJECT");
            return CLOB.matcher(blobs).replaceAll("CHARACTER LARGE OBJECT");
        }
    }
}
