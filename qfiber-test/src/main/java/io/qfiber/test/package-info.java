/**
 * Simulations: fibers, channels, selects, timeouts and Reactor timers under one virtual clock that
 * moves only when every fiber waits, with deadlocks reported at once and, in carrier mode,
 * interleavings replayed from a seed. Start with {@link io.qfiber.test.Sim} and
 * {@link io.qfiber.test.SimTest}.
 */
@NullMarked
package io.qfiber.test;

import org.jspecify.annotations.NullMarked;
