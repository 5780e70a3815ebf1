/**
 * Fiber-blocking TCP on Reactor Netty: {@link io.qfiber.net.TcpServer} accepts connections that a
 * fiber takes one at a time, {@link io.qfiber.net.TcpSocket} receives and sends in blocking style.
 * Blocking calls park the calling fiber, never a Netty event loop, where they are refused with
 * {@link java.lang.IllegalStateException}.
 */
@NullMarked
package io.qfiber.net;

import org.jspecify.annotations.NullMarked;
