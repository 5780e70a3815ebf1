package io.qfiber.nats.internal;

import io.qfiber.nats.Codec;
import io.qfiber.nats.RemoteChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Checks a remote channel's settings at the call that gets them wrong, then opens it.
 *
 * @param <T> the value type
 */
public final class JetStreamChannelBuilder<T> implements RemoteChannel.Builder<T> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final ChannelRegistry registry;
    private final String name;
    private final Codec<T> codec;
    private int capacity = 1000;
    private Duration redeliverAfter = Duration.ofSeconds(30);
    private int replicas = 1;

    /**
     * A builder for the channel {@code name}.
     *
     * @param registry where the channel registers
     * @param name     its name
     * @param codec    its codec
     * @throws IllegalArgumentException if the name is not valid
     */
    public JetStreamChannelBuilder(ChannelRegistry registry, String name, Codec<T> codec) {
        Objects.requireNonNull(name, "name");
        this.codec = Objects.requireNonNull(codec, "codec");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must be 1 to 64 letters, digits, '-' or '_' (it names a "
                    + "JetStream stream), was '" + name + "'");
        }
        registry.checkOpen();
        this.registry = registry;
        this.name = name;
    }

    @Override
    public RemoteChannel.Builder<T> capacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1 for a remote channel (a rendezvous cannot "
                    + "span processes), was " + capacity);
        }
        this.capacity = capacity;
        return this;
    }

    @Override
    public RemoteChannel.Builder<T> redeliverAfter(Duration ackWait) {
        Objects.requireNonNull(ackWait, "ackWait");
        if (ackWait.isNegative() || ackWait.isZero()) {
            throw new IllegalArgumentException("redeliverAfter must be > 0, was " + ackWait);
        }
        this.redeliverAfter = ackWait;
        return this;
    }

    @Override
    public RemoteChannel.Builder<T> replicas(int replicas) {
        if (replicas < 1 || replicas > 5) {
            throw new IllegalArgumentException("replicas must be between 1 and 5, was " + replicas);
        }
        this.replicas = replicas;
        return this;
    }

    @Override
    public RemoteChannel<T> open() {
        return JetStreamChannel.open(registry, name, codec, capacity, redeliverAfter, replicas);
    }
}
