package io.qfiber.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.qfiber.Fiber;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** {@code @SimTest}: a JUnit test method as the body of a simulation. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimTestAnnotationTest {

    @SimTest
    void theContextIsInjectedAndTheClockIsVirtual(SimContext ctx) {
        assertThat(Fiber.current()).isNotNull();
        Fiber.sleep(Duration.ofHours(2));
        assertThat(ctx.elapsed()).isEqualTo(Duration.ofHours(2));
    }

    private static final List<Long> ITERATION_SEEDS = new ArrayList<>();

    @SimTest(seed = 5, iterations = 3, realTimeLimit = "PT10S")
    void iterationsRunWithConsecutiveSeeds(SimContext ctx) {
        ITERATION_SEEDS.add(ctx.seed());
        assertThat(ctx.config().realTimeLimit()).isEqualTo(Duration.ofSeconds(10));
    }

    @AfterAll
    static void everyIterationRan() {
        if (!ITERATION_SEEDS.isEmpty()) { // not when only another method was selected
            assertThat(ITERATION_SEEDS).containsExactly(5L, 6L, 7L);
        }
    }

    @Test
    void aFailingSimTestReportsTheSeedThatReplaysIt() {
        Events events = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(Fixtures.class))
                .configurationParameter("junit.jupiter.conditions.deactivate", "org.junit.*DisabledCondition")
                .execute()
                .testEvents();
        assertThat(Fixtures.seeds).containsExactly(100L, 101L, 102L);
        assertThat(Fixtures.runs.get()).isEqualTo(3);
        events.assertStatistics(s -> s.started(2).succeeded(1).failed(1));
        Throwable failure = events.failed().stream().findFirst().orElseThrow()
                .getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow()
                .getThrowable().orElseThrow();
        assertThat(failure).isInstanceOf(AssertionError.class).hasMessageContaining("elapsed");
        assertThat(failure.getSuppressed()).singleElement()
                .satisfies(s -> assertThat(s.getMessage()).contains("seed 4711", "@SimTest(seed = 4711L"));
    }

    /** Run by the test kit only (the condition below keeps the ordinary run away from it). */
    @org.junit.jupiter.api.Disabled("run through EngineTestKit by aFailingSimTestReportsTheSeedThatReplaysIt")
    static class Fixtures {
        static final List<Long> seeds = new ArrayList<>();
        static final AtomicInteger runs = new AtomicInteger();

        @SimTest(seed = 100, iterations = 3)
        void counts(SimContext ctx) {
            seeds.add(ctx.seed());
            runs.incrementAndGet();
        }

        @SimTest(seed = 4711)
        void fails(SimContext ctx) {
            Fiber.sleep(Duration.ofSeconds(3));
            assertThat(ctx.elapsed()).as("elapsed").isEqualTo(Duration.ofSeconds(4));
        }
    }
}
