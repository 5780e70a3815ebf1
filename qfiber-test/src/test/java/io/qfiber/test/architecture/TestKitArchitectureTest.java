package io.qfiber.test.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.HashSet;
import java.util.Set;

/**
 * The test kit's layering: its public package speaks only the library's API; the hooks into the
 * library's internals are used by {@code io.qfiber.test.internal} alone.
 */
@AnalyzeClasses(packages = "io.qfiber.test", importOptions = ImportOption.DoNotIncludeTests.class)
class TestKitArchitectureTest {
    private static final String API = "io.qfiber.test";

    @ArchTest
    static final ArchRule onlyTheInternalsUseTheLibrarysHooks = noClasses().that().resideInAPackage(API)
            .should().dependOnClassesThat().resideInAPackage("io.qfiber.internal..");

    @ArchTest
    static final ArchRule publicSignaturesNameNoInternals = members()
            .that().areDeclaredInClassesThat().resideInAPackage(API)
            .and().areDeclaredInClassesThat().haveModifier(JavaModifier.PUBLIC)
            .and().arePublic()
            .should(new ArchCondition<JavaMember>("name no internal type in their signature") {
                @Override
                public void check(JavaMember member, ConditionEvents events) {
                    Set<JavaClass> named = new HashSet<>();
                    if (member instanceof JavaCodeUnit code) {
                        named.addAll(code.getReturnType().getAllInvolvedRawTypes());
                        code.getParameterTypes().forEach(p -> named.addAll(p.getAllInvolvedRawTypes()));
                        code.getThrowsClause().getTypes().forEach(named::add);
                    }
                    for (JavaClass t : named) {
                        if (t.getPackageName().startsWith("io.qfiber.internal") || t.getPackageName().startsWith(API + ".internal")) {
                            events.add(SimpleConditionEvent.violated(member, member.getFullName() + " names " + t.getName()));
                        }
                    }
                }
            });
}
