package io.qfiber.test;

import io.qfiber.Fiber;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A running simulation, as its fibers see it: the virtual clock, a way to let every other fiber
 * run until it waits, and fibers that live as long as the body.
 *
 * <p>Thread-safe. The clock may be read anywhere; {@link #settle()}, {@link #sleep} and
 * {@link #background} are for the simulation's own fibers.
 */
public interface SimContext {
    /**
     * The virtual time now: {@link SimConfig#start()} plus {@link #elapsed()}.
     *
     * @return the instant
     */
    Instant now();

    /**
     * How much virtual time has passed since the simulation started. Exact: a fiber that slept
     * one hour from the start reads exactly one hour when it wakes.
     *
     * @return the virtual time passed
     */
    Duration elapsed();

    /**
     * The virtual clock as a {@link Clock} (zone UTC), for code under test that takes one.
     *
     * @return a clock that reads {@link #now()}
     */
    Clock clock();

    /**
     * Waits until every other fiber of the simulation waits in a blocking call of the library
     * (and no Reactor task of the simulation is pending), then returns; no virtual time passes.
     * Use it to observe the state a step has led to, as Go's {@code synctest.Wait}.
     *
     * @throws IllegalStateException if the caller is not a fiber of this simulation
     * @throws java.util.concurrent.CancellationException if the calling fiber is cancelled meanwhile
     */
    void settle();

    /**
     * Sleeps the calling fiber for {@code duration} of virtual time ({@link Fiber#sleep}), then
     * {@link #settle()}s: everything due by then has run when it returns.
     *
     * @param duration how long, not negative
     * @throws IllegalStateException    if the caller is not a fiber of this simulation
     * @throws IllegalArgumentException if duration is negative
     * @throws java.util.concurrent.CancellationException if the calling fiber is cancelled meanwhile
     */
    void sleep(Duration duration);

    /**
     * Starts a fiber of the simulation that is cancelled when the body returns, and whose being
     * alive then is not a leak: for servers, pumps and heartbeats a test does not stop itself.
     * Its failure (other than its cancellation) fails the run.
     *
     * @param name the fiber's name
     * @param body what it runs
     * @return the fiber
     * @throws IllegalStateException if the caller is not a fiber of this simulation
     */
    Fiber<Void> background(String name, Runnable body);

    /**
     * Holds the virtual clock still until the returned hold is closed, as a fiber blocked outside
     * the library does: for a wait in the library on something real that the simulation cannot
     * see, such as {@code Fiber.await} of a WebClient call, during which the clock must not jump
     * to the next timeout.
     *
     * <pre>{@code
     * try (SimContext.ClockHold hold = ctx.holdClock()) {
     *     answer = Fiber.await(webClient.get().retrieve().bodyToMono(String.class));
     * }
     * }</pre>
     *
     * @return the hold; closing it again does nothing
     */
    ClockHold holdClock();

    /** A hold on the virtual clock ({@link #holdClock()}); {@link #close()} releases it. */
    interface ClockHold extends AutoCloseable {
        /** Releases the hold; idempotent. */
        @Override
        void close();
    }

    /**
     * The seed of this run: with {@link SimConfig#withSeed} and the same schedule it replays the
     * run in carrier mode.
     *
     * @return the seed
     */
    long seed();

    /**
     * The configuration this simulation runs with.
     *
     * @return the configuration
     */
    SimConfig config();
}
