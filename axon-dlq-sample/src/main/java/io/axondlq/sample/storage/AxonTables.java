package io.axondlq.sample.storage;

import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.TokenSchema;
import org.axonframework.eventhandling.tokenstore.jdbc.TokenTableFactory;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.EventTableFactory;
import org.axonframework.eventsourcing.eventstore.jdbc.AbstractEventTableFactory;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * Creates the tables of Axon's JDBC event store ({@code domainevententry}, {@code snapshotevententry}) and JDBC token
 * store ({@code tokenentry}) when they are missing. Axon does not create them itself; this runs Axon's own DDL, the
 * table factories that {@link JdbcEventStorageEngine#createSchema} and {@link JdbcTokenStore#createSchema} use, for
 * the database at hand (PostgreSQL: {@code bytea}/{@code BIGSERIAL}; H2: {@code BLOB}/identity, see
 * {@link H2EventTableFactory}). It runs while the context is built, so before Axon's processors start (they start with the lifecycle).
 * In production, ship the same DDL with Flyway or Liquibase instead.
 */
@Component
public class AxonTables implements InitializingBean {

    private static final Logger logger = LoggerFactory.getLogger(AxonTables.class);

    private final DataSource dataSource;
    private final EventSchema eventSchema;
    private final TokenSchema tokenSchema;

    public AxonTables(DataSource dataSource, EventSchema eventSchema, TokenSchema tokenSchema) {
        this.dataSource = dataSource;
        this.eventSchema = eventSchema;
        this.tokenSchema = tokenSchema;
    }

    @Override
    public void afterPropertiesSet() throws SQLException {
        boolean postgres = isPostgres();
        if (!tableExists(eventSchema.domainEventTable())) {
            EventTableFactory tables = postgres ? PostgresEventTableFactory.INSTANCE : H2EventTableFactory.INSTANCE;
            try (Connection connection = dataSource.getConnection()) {
                execute(tables.createDomainEventTable(connection, eventSchema));
                execute(tables.createSnapshotEventTable(connection, eventSchema));
            }
            logger.info("Created Axon's event store tables [{}, {}]",
                        eventSchema.domainEventTable(), eventSchema.snapshotTable());
        }
        if (!tableExists(tokenSchema.tokenTable())) {
            TokenTableFactory tables = postgres ? PostgresTokenTableFactory.INSTANCE : GenericTokenTableFactory.INSTANCE;
            try (Connection connection = dataSource.getConnection()) {
                execute(tables.createTable(connection, tokenSchema));
            }
            logger.info("Created Axon's token store table [{}]", tokenSchema.tokenTable());
        }
    }

    private static void execute(PreparedStatement statement) throws SQLException {
        try (statement) {
            statement.executeUpdate();
        }
    }

    private boolean isPostgres() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName();
            if (product.equalsIgnoreCase("H2")) {
                return false;
            }
            if (product.toLowerCase(Locale.ROOT).contains("postgres")) {
                return true;
            }
            throw new IllegalStateException("The sample runs on H2 or PostgreSQL, not on " + product);
        }
    }

    private boolean tableExists(String table) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            for (String name : new String[]{table, table.toUpperCase(Locale.ROOT), table.toLowerCase(Locale.ROOT)}) {
                try (ResultSet rs = metaData.getTables(connection.getCatalog(), null, name, new String[]{"TABLE"})) {
                    if (rs.next()) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /**
     * Axon ships no event table factory for H2, and H2 2.x rejects the identity clause of its HSQLDB one
     * ({@code START WITH 0, INCREMENT BY 1}); this is the same table with H2's identity syntax.
     */
    static final class H2EventTableFactory extends AbstractEventTableFactory {

        static final H2EventTableFactory INSTANCE = new H2EventTableFactory();

        @Override
        protected String idColumnType() {
            return "BIGINT GENERATED BY DEFAULT AS IDENTITY";
        }

        @Override
        protected String payloadType() {
            return "BLOB";
        }
    }
}
