package io.qfiber.test;

import java.time.Duration;

/**
 * A simulation took more real time than {@link SimConfig#realTimeLimit()}: some fiber was busy or
 * blocked outside the library (a JDK lock, {@code Thread.sleep}, a real socket) for that long, so
 * the virtual clock could not move. The message holds the fiber dump, the seed and the virtual time.
 */
public final class SimTimeoutException extends SimFailure {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the explanation and the fiber dump
     * @param seed    the run's seed
     * @param elapsed the virtual time at which it stopped
     */
    public SimTimeoutException(String message, long seed, Duration elapsed) {
        super(message, seed, elapsed);
    }
}
