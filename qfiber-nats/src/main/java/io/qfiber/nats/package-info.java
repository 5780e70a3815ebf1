/**
 * Channels across processes on NATS JetStream: the same {@link io.qfiber.Channel} API, with the
 * server holding the values. Start with {@link io.qfiber.nats.NatsChannels}; see
 * {@code docs/distributed.md} for the rules and what differs from a local channel.
 */
@NullMarked
package io.qfiber.nats;

import org.jspecify.annotations.NullMarked;
