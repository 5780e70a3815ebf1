/**
 * Not API: the Reactor Netty bridge behind {@code TcpServer} and {@code TcpSocket}.
 * {@code NettyConnection} bridges one connection to blocking recv/send (the only class that
 * touches {@code ByteBuf}s), {@code SocketBinding} registers a socket on the event loop of the
 * thread that first uses it, {@code SocketLoops} is the {@code LoopResources} given to Reactor
 * Netty (carrier loops and the library's shared loops).
 *
 * <p>May use: {@code internal}, {@code internal.observe}, {@code internal.fiber},
 * {@code internal.reactive}, {@code internal.channel}, and the API's vocabulary types.
 */
@NullMarked
package io.qfiber.internal.net;

import org.jspecify.annotations.NullMarked;
