package io.axondlq.jdbc;

import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.jdbc.support.MetaDataAccessException;

import java.util.Locale;
import javax.sql.DataSource;

/** The databases axon-dlq ships DDL and statements for. */
public enum SqlDialect {

    POSTGRESQL("postgresql"),
    H2("h2");

    private final String folder;

    SqlDialect(String folder) {
        this.folder = folder;
    }

    /** Classpath folder of this dialect's migrations, usable as a Flyway location. */
    public String schemaLocation() {
        return "classpath:db/axon-dlq/" + folder;
    }

    String migrationFolder() {
        return "db/axon-dlq/" + folder;
    }

    DeadLetterStatements statements(String tablePrefix) {
        return switch (this) {
            case POSTGRESQL -> new PostgresStatements(tablePrefix);
            case H2 -> new H2Statements(tablePrefix);
        };
    }

    /**
     * @throws UnsupportedDatabaseException for any database other than PostgreSQL and H2
     */
    public static SqlDialect detect(DataSource dataSource) {
        String product;
        try {
            product = JdbcUtils.extractDatabaseMetaData(dataSource, meta -> meta.getDatabaseProductName());
        } catch (MetaDataAccessException e) {
            throw new UnsupportedDatabaseException("Cannot read the database product name", e);
        }
        String name = product == null ? "" : product.toLowerCase(Locale.ROOT);
        if (name.contains("postgres")) {
            return POSTGRESQL;
        }
        if (name.equals("h2")) {
            return H2;
        }
        throw new UnsupportedDatabaseException("axon-dlq supports PostgreSQL and H2, not [" + product + "]", null);
    }

    /** The data source points at a database axon-dlq has no statements for. */
    public static class UnsupportedDatabaseException extends RuntimeException {
        public UnsupportedDatabaseException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
