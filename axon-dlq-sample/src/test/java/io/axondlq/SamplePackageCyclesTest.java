package io.axondlq;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.axondlq.sample.SampleApplication;
import io.axondlq.sample.faults.FaultSwitch;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/** No package of the sample's main code depends, directly or through others, on a package that depends on it. */
class SamplePackageCyclesTest {

    @Test
    void mainPackagesAreFreeOfCycles() {
        // This module's compiled main classes only: the library modules are checked in their own modules.
        JavaClasses main = new ClassFileImporter().importUrl(
                SampleApplication.class.getProtectionDomain().getCodeSource().getLocation());
        assertThat(main.contain(FaultSwitch.class)).isTrue();

        slices().matching("io.axondlq.(**)").should().beFreeOfCycles().check(main);
    }
}
