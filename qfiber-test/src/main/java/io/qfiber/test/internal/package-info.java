/**
 * Not API: the machinery of simulations. {@code SimRuntime} (the clock, the runnable count and
 * the rule that moves the clock, the {@code TimeDomain} hook of the library), {@code SimCarrier}
 * (the one thread of a simulation in carrier mode, with its schedule), {@code SimScheduler} and
 * {@code SimSchedulers} (Reactor's schedulers routed by calling thread), {@code SimRuntimeContext},
 * and the JUnit extension behind {@code @SimTest}.
 */
@NullMarked
package io.qfiber.test.internal;

import org.jspecify.annotations.NullMarked;
