package io.axondlq;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/** No package of axon-dlq-core's main code depends, directly or through others, on a package that depends on it. */
class CorePackageCyclesTest {

    @Test
    void mainPackagesAreFreeOfCycles() {
        // This module's compiled main classes only: its tests share the packages, other modules are checked there.
        JavaClasses main = new ClassFileImporter().importUrl(
                DeadLetteringEventProcessingModule.class.getProtectionDomain().getCodeSource().getLocation());
        assertThat(main.contain(JdbcDeadLetterStore.class)).isTrue();

        slices().matching("io.axondlq.(**)").should().beFreeOfCycles().check(main);
    }
}
