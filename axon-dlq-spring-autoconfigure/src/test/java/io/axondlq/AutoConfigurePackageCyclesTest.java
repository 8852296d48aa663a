package io.axondlq;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.axondlq.spring.AxonDlqAutoConfiguration;
import io.axondlq.spring.web.AxonDlqWebAutoConfiguration;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No package of axon-dlq-spring-autoconfigure's main code depends, directly or through others, on a package that
 * depends on it.
 */
class AutoConfigurePackageCyclesTest {

    @Test
    void mainPackagesAreFreeOfCycles() {
        // This module's compiled main classes only: its tests share the packages, core is checked in its own module.
        JavaClasses main = new ClassFileImporter().importUrl(
                AxonDlqAutoConfiguration.class.getProtectionDomain().getCodeSource().getLocation());
        assertThat(main.contain(AxonDlqWebAutoConfiguration.class)).isTrue();

        slices().matching("io.axondlq.(**)").should().beFreeOfCycles().check(main);
    }
}
