package io.qfiber.test;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a simulation runs: its seed, schedule, the instant its clock starts at, and the real time it
 * may take at most. Immutable; the {@code with*} methods return changed copies.
 *
 * @param seed          the seed of the {@link Schedule#RANDOM} schedule, reported by every failure
 * @param schedule      the order in which ready fibers run
 * @param start         what the virtual clock reads when the simulation starts
 * @param realTimeLimit the watchdog: past this much real time the run fails with
 *                      {@link SimTimeoutException}
 */
public record SimConfig(long seed, Schedule schedule, Instant start, Duration realTimeLimit) {
    /** Where every simulation's clock starts unless told otherwise: 2000-01-01T00:00:00Z. */
    public static final Instant DEFAULT_START = Instant.parse("2000-01-01T00:00:00Z");
    /** The default watchdog: 30 seconds of real time. */
    public static final Duration DEFAULT_REAL_TIME_LIMIT = Duration.ofSeconds(30);

    /**
     * Checks the values.
     *
     * @throws NullPointerException     if {@code schedule}, {@code start} or {@code realTimeLimit} is null
     * @throws IllegalArgumentException if {@code realTimeLimit} is not positive
     */
    public SimConfig {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(realTimeLimit, "realTimeLimit");
        if (realTimeLimit.isNegative() || realTimeLimit.isZero()) {
            throw new IllegalArgumentException("realTimeLimit must be > 0, was " + realTimeLimit);
        }
    }

    /**
     * The defaults: a fresh random seed, {@link Schedule#FIFO}, the clock starting at
     * {@link #DEFAULT_START}, a real-time limit of 30 s.
     *
     * @return a new configuration (each call has its own seed)
     */
    public static SimConfig defaults() {
        return new SimConfig(ThreadLocalRandom.current().nextLong(), Schedule.FIFO, DEFAULT_START, DEFAULT_REAL_TIME_LIMIT);
    }

    /**
     * This configuration with another seed: how a failure's seed is replayed.
     *
     * @param seed the seed
     * @return a copy with the seed
     */
    public SimConfig withSeed(long seed) {
        return new SimConfig(seed, schedule, start, realTimeLimit);
    }

    /**
     * This configuration with another schedule.
     *
     * @param schedule the schedule
     * @return a copy with the schedule
     * @throws NullPointerException if it is null
     */
    public SimConfig withSchedule(Schedule schedule) {
        return new SimConfig(seed, schedule, start, realTimeLimit);
    }

    /**
     * This configuration with the clock starting elsewhere.
     *
     * @param start the instant the virtual clock reads at the start
     * @return a copy with the start
     * @throws NullPointerException if it is null
     */
    public SimConfig withStart(Instant start) {
        return new SimConfig(seed, schedule, start, realTimeLimit);
    }

    /**
     * This configuration with another watchdog.
     *
     * @param limit the real time the simulation may take, positive
     * @return a copy with the limit
     * @throws NullPointerException     if it is null
     * @throws IllegalArgumentException if it is not positive
     */
    public SimConfig withRealTimeLimit(Duration limit) {
        return new SimConfig(seed, schedule, start, limit);
    }
}
