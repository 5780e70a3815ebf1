/**
 * Not API: remote channels on JetStream. {@code JetStreamChannel} is the one implementation of
 * {@code RemoteChannel}: a work-queue stream per channel, one durable pull consumer shared by all
 * readers, a fetcher fiber per process and channel that pulls against local demand into a small
 * local buffer, writers that publish with a message id (so a retry after a lost answer stores
 * nothing twice) and wait for room when the stream is full. {@code ChannelRegistry} tracks a
 * process's open channels so {@code NatsChannels.close()} can end them.
 */
@NullMarked
package io.qfiber.nats.internal;

import org.jspecify.annotations.NullMarked;
