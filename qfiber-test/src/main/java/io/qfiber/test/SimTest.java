package io.qfiber.test;

import io.qfiber.test.internal.SimTestExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A JUnit Jupiter test that runs inside {@link Sim#run}: the method is the simulation's body, and
 * a {@link SimContext} parameter is injected.
 *
 * <pre>{@code
 * @SimTest(schedule = Schedule.RANDOM, iterations = 200)
 * void neverLosesAnUpdate(SimContext ctx) { ... }
 * }</pre>
 *
 * <p>With {@code iterations > 1} the body runs that many times, each a separate simulation; with a
 * fixed {@link #seed()} iteration {@code i} uses {@code seed + i}. A failure reports the seed of
 * the failing iteration: put it in {@link #seed()} (with {@code iterations = 1}) to replay it.
 * A test with {@link Schedule#RANDOM} is skipped (aborted, with the reason) in shared mode, where
 * interleavings cannot be replayed.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Test
@ExtendWith(SimTestExtension.class)
public @interface SimTest {
    /** The value of {@link #seed()} that means "a fresh random seed for each run". */
    long RANDOM_SEED = Long.MIN_VALUE;

    /**
     * The seed of the first run, or {@link #RANDOM_SEED}.
     *
     * @return the seed
     */
    long seed() default RANDOM_SEED;

    /**
     * The schedule.
     *
     * @return the schedule
     */
    Schedule schedule() default Schedule.FIFO;

    /**
     * How many simulations to run, one after the other.
     *
     * @return the count, at least 1
     */
    int iterations() default 1;

    /**
     * The real-time limit of each run, as an ISO-8601 duration ({@code "PT30S"}).
     *
     * @return the limit
     */
    String realTimeLimit() default "PT30S";
}
