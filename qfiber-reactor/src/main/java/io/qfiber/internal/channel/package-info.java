/**
 * Not API: the channel engine. {@code AbstractChannel} (shared reader loop, close, iteration) and
 * its kinds {@code BufferedChannel} and {@code RendezvousChannel}, the buffered kind's
 * ticket-indexed {@code TicketCells}, the rendezvous kind's lock-free {@code SegmentQueue} of
 * offers, the Flux face ({@code FluxConsumer}), {@code writeAll}'s
 * {@code PublisherPump}, the select clauses on channels, and {@code ChannelFactory} behind
 * {@code Channel.create/builder/from}.
 *
 * <p>May use: {@code internal}, {@code internal.observe}, {@code internal.fiber},
 * {@code internal.select}, and the API's vocabulary types {@code Channel}, {@code Overflow},
 * {@code ChannelClosedException}. The one package cycle of the library runs through here:
 * {@code Channel.create()} is a static factory on the public interface that returns an
 * implementation of it, as the JDK's {@code List.of} does.
 */
@NullMarked
package io.qfiber.internal.channel;

import org.jspecify.annotations.NullMarked;
