/**
 * QFiber: fibers (sequential, blocking-style code on virtual threads) and channels (typed pipes
 * whose reactive face is a Reactor {@code Flux}) for hybrid event-driven and threaded programs.
 *
 * <p>Start with {@link io.qfiber.Fiber} and {@link io.qfiber.Channel}. Every blocking call in
 * this package parks the calling virtual thread (or platform thread) and throws
 * {@link java.lang.IllegalStateException} at once when called on a Reactor non-blocking thread,
 * as Reactor's own {@code block()} does.
 */
@NullMarked
package io.qfiber;

import org.jspecify.annotations.NullMarked;
