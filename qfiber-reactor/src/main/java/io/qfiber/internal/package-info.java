/**
 * Not API: the engines behind {@code io.qfiber} and {@code io.qfiber.net}. Nothing here is covered
 * by compatibility guarantees. Grouped by subsystem, so the code behind a public call is found by
 * its package name alone:
 *
 * <table>
 *   <caption>Sub-packages, from the bottom layer up; each may use only the ones above it in this table</caption>
 *   <tr><th>package</th><th>owns</th><th>public calls it serves</th></tr>
 *   <tr><td>{@code internal} (this)</td><td>VarHandle lookup ({@code FieldHandles}), failure
 *       translation ({@code Failures})</td><td>all</td></tr>
 *   <tr><td>{@code internal.observe}</td><td>what fibers wait on, counters, named channels, the
 *       JMX bean</td><td>{@code FiberDump}, {@code QFiberMetrics}</td></tr>
 *   <tr><td>{@code internal.fiber}</td><td>parking and waking, waiter lists, threaded-fiber threads,
 *       carriers, placement</td><td>{@code Fiber}, {@code FiberScope}, every blocking call</td></tr>
 *   <tr><td>{@code internal.reactive}</td><td>Mono subscribers for blocking callers, ThreadLocal
 *       context</td><td>{@code Fiber.await}, {@code Fiber.mono/flux}</td></tr>
 *   <tr><td>{@code internal.select}</td><td>the select algorithm, join and await clauses</td>
 *       <td>{@code Select}</td></tr>
 *   <tr><td>{@code internal.channel}</td><td>channel kinds, their queue, Flux face, publisher pump,
 *       read and write clauses</td><td>{@code Channel}</td></tr>
 *   <tr><td>{@code internal.net}</td><td>the Reactor Netty bridge: connections, loops, binding</td>
 *       <td>{@code TcpServer}, {@code TcpSocket}</td></tr>
 * </table>
 *
 * <p>The layering is enforced by the build ({@code ArchitectureTest}).
 */
@NullMarked
package io.qfiber.internal;

import org.jspecify.annotations.NullMarked;
