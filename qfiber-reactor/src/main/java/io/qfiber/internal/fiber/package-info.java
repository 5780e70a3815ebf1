/**
 * Not API: the fiber runtime. Parking and waking with cancellation and deadlines
 * ({@code Blocking}), waiter lists and the event-count protocol ({@code Waiter},
 * {@code WaiterList}, {@code ThreadWaiter}), threaded fibers' threads and their Netty loops
 * ({@code ThreadedFiberThread}, {@code CarrierLoop}, {@code NettyTransport}), the carrier hook
 * ({@code Carriers}), where a new fiber runs ({@code FiberPlacement}), and what a fiber reports to
 * its scope ({@code ChildTracker}).
 *
 * <p>May use: {@code internal}, {@code internal.observe}.
 */
@NullMarked
package io.qfiber.internal.fiber;

import org.jspecify.annotations.NullMarked;
