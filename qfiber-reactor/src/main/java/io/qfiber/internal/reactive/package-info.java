/**
 * Not API: Reactor adapters for blocking callers. {@code MonoSignal} keeps a Mono's one signal
 * (its subscription set by CAS), {@code MonoAwait} parks on it ({@code Fiber.await}), and
 * {@code ThreadLocalContext} restores context-propagation ThreadLocals in fibers of
 * {@code Fiber.mono}/{@code flux}.
 *
 * <p>May use: {@code internal}, {@code internal.observe}, {@code internal.fiber}.
 */
@NullMarked
package io.qfiber.internal.reactive;

import org.jspecify.annotations.NullMarked;
