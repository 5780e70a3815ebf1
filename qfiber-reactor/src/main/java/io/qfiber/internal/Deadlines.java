package io.qfiber.internal;

/**
 * How the library writes a deadline: a {@link System#nanoTime()} value computed once at the start
 * of a timed call and carried down, or {@link #NO_DEADLINE}. Computing one from a timeout is
 * {@code internal.fiber.Blocking.deadline}.
 */
public final class Deadlines {
    /** Deadline value meaning "wait without a time limit". */
    public static final long NO_DEADLINE = Long.MIN_VALUE;

    private Deadlines() {}
}
