package io.qfiber.test;

import java.time.Duration;

/**
 * A simulation that the simulator itself stopped: {@link SimDeadlockException} or
 * {@link SimTimeoutException}. Carries the seed that replays the run and the virtual time reached.
 */
public abstract sealed class SimFailure extends RuntimeException permits SimDeadlockException, SimTimeoutException {
    private static final long serialVersionUID = 1L;
    private final long seed;
    private final Duration elapsed;

    SimFailure(String message, long seed, Duration elapsed) {
        super(message);
        this.seed = seed;
        this.elapsed = elapsed;
    }

    /**
     * The seed of the failed run.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * The virtual time passed when the run stopped.
     *
     * @return the virtual time since the start
     */
    public Duration elapsed() {
        return elapsed;
    }
}
