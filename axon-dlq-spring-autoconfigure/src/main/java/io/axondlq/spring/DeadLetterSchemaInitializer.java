package io.axondlq.spring;

import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.spring.properties.InitializeSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;

import javax.sql.DataSource;

/**
 * Creates the store tables (V1) and the operations tables (V2: retry jobs, audit) per
 * {@code axon.dlq.jdbc.initialize-schema}. The same scripts are the Flyway migrations in
 * {@code classpath:db/axon-dlq/{postgresql|h2}}.
 */
public class DeadLetterSchemaInitializer implements InitializingBean {

    public static final String OPERATIONS_SCRIPT = SchemaInitializer.OPERATIONS_SCRIPT;
    private static final Logger logger = LoggerFactory.getLogger(DeadLetterSchemaInitializer.class);

    private final DataSource dataSource;
    private final InitializeSchema mode;
    private final String tablePrefix;

    public DeadLetterSchemaInitializer(DataSource dataSource, InitializeSchema mode, String tablePrefix) {
        this.dataSource = dataSource;
        this.mode = mode;
        this.tablePrefix = tablePrefix;
    }

    @Override
    public void afterPropertiesSet() {
        if (!shouldInitialize()) {
            return;
        }
        SqlDialect dialect = SqlDialect.detect(dataSource);
        SchemaInitializer.initialize(dataSource, dialect, tablePrefix);
        SchemaInitializer.initialize(dataSource, dialect, tablePrefix, OPERATIONS_SCRIPT);
        logger.info("axon-dlq schema ready ({}, prefix [{}])", dialect, tablePrefix);
    }

    boolean shouldInitialize() {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case EMBEDDED -> EmbeddedDatabaseConnection.isEmbedded(dataSource);
        };
    }
}
