package io.axondlq.spring;

import io.axondlq.spring.properties.InitializeSchema;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code initialize-schema=flyway} on PostgreSQL needs Flyway's PostgreSQL module beside {@code flyway-core}, which
 * Spring Boot does not add. Without it Flyway said only "Unsupported Database: PostgreSQL 15", naming neither the
 * property that asked for Flyway (the application itself may not use Flyway) nor the module. The initializer runs here
 * in a class loader over the test's class path without that module, as in an application that lacks it; the same
 * class loader with the module is the control.
 */
class FlywayModeWithoutThePostgresModuleTest {

    private static final String MODULE = "flyway-database-postgresql";

    @Test
    void withoutTheModuleTheStartFailsNamingTheModuleAndTheProperty() throws Exception {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.POSTGRES);
             URLClassLoader application = classLoaderWithout(MODULE)) {
            assertThatThrownBy(() -> startFlywayMode(application, db.dataSource()))
                    .hasMessageContaining("axon.dlq.jdbc.initialize-schema=flyway")
                    .hasMessageContaining("org.flywaydb:" + MODULE);
            assertThat(axonDlqTables(db)).as("nothing created").isZero();
        }
    }

    @Test
    void withTheModuleTheSameClassLoaderMigrates() throws Throwable {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.POSTGRES);
             URLClassLoader application = classLoaderWithout("no such jar")) {
            startFlywayMode(application, db.dataSource());
            assertThat(axonDlqTables(db)).as("the tables and Flyway's history").isEqualTo(10);
        }
    }

    private static void startFlywayMode(ClassLoader application, DataSource dataSource) throws Throwable {
        Class<?> initializer = application.loadClass(DeadLetterSchemaInitializer.class.getName());
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Enum> modes = (Class<Enum>) application.loadClass(InitializeSchema.class.getName());
        @SuppressWarnings("unchecked")
        Object flyway = Enum.valueOf(modes, InitializeSchema.FLYWAY.name());
        Object start = initializer.getConstructor(DataSource.class, modes, String.class)
                                  .newInstance(dataSource, flyway, "axon_dlq_");
        try {
            initializer.getMethod("afterPropertiesSet").invoke(start);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static long axonDlqTables(FreshDatabase db) {
        return new JdbcTemplate(db.dataSource()).queryForObject(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'axon\\_dlq\\_%' "
                        + "AND table_schema = CURRENT_SCHEMA", Long.class);
    }

    /** The test's class path (expanded from surefire's manifest-only jar) without the jars whose name has the text. */
    private static URLClassLoader classLoaderWithout(String jar) throws IOException {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            for (URL url : expand(entry)) {
                if (!url.getPath().contains(jar)) {
                    urls.add(url);
                }
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static List<URL> expand(String entry) throws IOException {
        File file = new File(entry);
        if (file.isFile() && file.getName().startsWith("surefirebooter")) {
            try (JarFile booter = new JarFile(file)) {
                Manifest manifest = booter.getManifest();
                String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                if (classPath != null) {
                    List<URL> urls = new ArrayList<>();
                    for (String relative : classPath.trim().split(" +")) {
                        urls.add(file.toURI().resolve(relative).toURL());
                    }
                    return urls;
                }
            }
        }
        try {
            return List.of(file.toURI().toURL());
        } catch (MalformedURLException e) {
            throw new IOException(e);
        }
    }
}
