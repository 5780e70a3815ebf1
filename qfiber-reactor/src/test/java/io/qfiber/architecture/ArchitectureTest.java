package io.qfiber.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.HashSet;
import java.util.Set;

/**
 * The library's layering, written down once as rules the build runs (see the package-info of
 * {@code io.qfiber.internal}). A change that breaks one fails {@code mvn verify} with the offending
 * dependency named.
 */
@AnalyzeClasses(packages = "io.qfiber", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    private static final String API = "io.qfiber";
    private static final String NET = "io.qfiber.net";
    private static final String INTERNAL = "io.qfiber.internal";

    /** The API types the engine may name: the vocabulary it implements and throws. */
    private static final DescribedPredicate<JavaClass> API_VOCABULARY = describe(
            "the API's vocabulary types (Channel and its nested types, Overflow, ChannelClosedException)",
            c -> c.getPackageName().equals(API)
                    && (c.getName().equals("io.qfiber.Channel") || c.getName().startsWith("io.qfiber.Channel$")
                    || c.getName().equals("io.qfiber.Overflow") || c.getName().equals("io.qfiber.ChannelClosedException")));

    /** Internal sub-packages in layers: each may use only the layers below it. */
    @ArchTest
    static final ArchRule internalLayers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("root").definedBy(describe("io.qfiber.internal (root)", (JavaClass c) -> c.getPackageName().equals(INTERNAL)))
            .layer("observe").definedBy(INTERNAL + ".observe..")
            .layer("fiber").definedBy(INTERNAL + ".fiber..")
            .layer("reactive").definedBy(INTERNAL + ".reactive..")
            .layer("select").definedBy(INTERNAL + ".select..")
            .layer("channel").definedBy(INTERNAL + ".channel..")
            .layer("net").definedBy(INTERNAL + ".net..")
            .layer("api").definedBy(describe("io.qfiber and io.qfiber.net",
                    (JavaClass c) -> c.getPackageName().equals(API) || c.getPackageName().equals(NET)))
            .whereLayer("net").mayOnlyBeAccessedByLayers("api")
            .whereLayer("channel").mayOnlyBeAccessedByLayers("net", "api")
            .whereLayer("select").mayOnlyBeAccessedByLayers("channel", "net", "api")
            .whereLayer("reactive").mayOnlyBeAccessedByLayers("select", "channel", "net", "api")
            .whereLayer("fiber").mayOnlyBeAccessedByLayers("reactive", "select", "channel", "net", "api")
            .whereLayer("observe").mayOnlyBeAccessedByLayers("fiber", "reactive", "select", "channel", "net", "api")
            .whereLayer("api").mayNotBeAccessedByAnyLayer()
            .ignoreDependency(describe("internal", (JavaClass c) -> c.getPackageName().startsWith(INTERNAL)), API_VOCABULARY);

    /** The engine names no API type beyond the vocabulary: it never reaches up to fibers, scopes or sockets. */
    @ArchTest
    static final ArchRule internalKnowsOnlyTheVocabulary = noClasses().that().resideInAPackage(INTERNAL + "..")
            .should().dependOnClassesThat(describe("API types other than the vocabulary",
                    (JavaClass c) -> (c.getPackageName().equals(API) || c.getPackageName().equals(NET))
                            && !API_VOCABULARY.test(c)));

    /** The core API does not depend on the networking API (networking builds on the core). */
    @ArchTest
    static final ArchRule coreDoesNotUseNet = noClasses().that().resideInAPackage(API)
            .should().dependOnClassesThat().resideInAPackage(NET + "..");

    /**
     * No package cycles. The one cycle the design has is named and excluded here: the engine
     * implements and throws the API's vocabulary types while {@code Channel.create()} returns an
     * engine object (a static factory on an interface, as {@code List.of}).
     */
    @ArchTest
    static final ArchRule noPackageCycles = slices().assignedFrom(byPackage())
            .should().beFreeOfCycles()
            .ignoreDependency(describe("internal", (JavaClass c) -> c.getPackageName().startsWith(INTERNAL)), API_VOCABULARY);

    /** No public member of a public API type names an internal, Netty or {@code Sinks} type. */
    @ArchTest
    static final ArchRule publicSignaturesNameNoInternals = members()
            .that().areDeclaredInClassesThat(describe("public API types",
                    (JavaClass c) -> (c.getPackageName().equals(API) || c.getPackageName().equals(NET))
                            && c.getModifiers().contains(JavaModifier.PUBLIC)))
            .and().arePublic()
            .should(nameNoForbiddenType());

    /** No public API type extends or implements an internal, Netty or {@code Sinks} type. */
    @ArchTest
    static final ArchRule publicTypesHaveNoInternalSupertypes = classes()
            .that().resideInAnyPackage(API, NET).and().arePublic()
            .should(new ArchCondition<>("have no internal, Netty or Sinks supertype") {
                @Override
                public void check(JavaClass c, ConditionEvents events) {
                    for (JavaClass s : c.getAllRawSuperclasses()) {
                        report(c, s, "extends", events);
                    }
                    for (JavaClass i : c.getAllRawInterfaces()) {
                        report(c, i, "implements", events);
                    }
                }

                private void report(JavaClass c, JavaClass s, String how, ConditionEvents events) {
                    if (isForbidden(s)) {
                        events.add(SimpleConditionEvent.violated(c, c.getName() + " " + how + " " + s.getName()));
                    }
                }
            });

    private static boolean isForbidden(JavaClass type) {
        String name = type.getName();
        return name.startsWith(INTERNAL + ".") || name.startsWith("io.netty.")
                || name.startsWith("reactor.core.publisher.Sinks");
    }

    private static ArchCondition<JavaMember> nameNoForbiddenType() {
        return new ArchCondition<>("name no internal, Netty or Sinks type in their signature") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                Set<JavaClass> named = new HashSet<>();
                if (member instanceof JavaCodeUnit code) {
                    named.addAll(code.getReturnType().getAllInvolvedRawTypes());
                    code.getParameterTypes().forEach(p -> named.addAll(p.getAllInvolvedRawTypes()));
                    code.getThrowsClause().getTypes().forEach(named::add);
                } else if (member instanceof JavaField field) {
                    named.addAll(field.getType().getAllInvolvedRawTypes());
                }
                for (JavaClass t : named) {
                    if (isForbidden(t)) {
                        events.add(SimpleConditionEvent.violated(member,
                                member.getFullName() + " names " + t.getName() + " in its signature"));
                    }
                }
            }
        };
    }

    /** One slice per package. */
    private static SliceAssignment byPackage() {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                return SliceIdentifier.of(c.getPackageName());
            }

            @Override
            public String getDescription() {
                return "one slice per package of io.qfiber";
            }
        };
    }

}
