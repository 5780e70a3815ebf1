package io.qfiber.test;

import java.time.Duration;

/**
 * A simulation stopped because nothing could move: every fiber waits in the library and no
 * deadline is pending, or fibers were still alive when the body returned. The message names each
 * fiber, what it waits on and its stack, with the seed and the virtual time.
 */
public final class SimDeadlockException extends SimFailure {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the explanation and the fiber dump
     * @param seed    the run's seed
     * @param elapsed the virtual time at which it stopped
     */
    public SimDeadlockException(String message, long seed, Duration elapsed) {
        super(message, seed, elapsed);
    }
}
