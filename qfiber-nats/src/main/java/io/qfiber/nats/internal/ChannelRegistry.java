package io.qfiber.nats.internal;

import io.nats.client.Connection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The channels one {@code NatsChannels} opened, so that its close ends them. Thread-safe. */
public final class ChannelRegistry {
    private final Connection connection;
    private final Set<JetStreamChannel<?>> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong lastForcedReconnect =
            new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(1));

    /**
     * A registry for one connection.
     *
     * @param connection the connection its channels use
     */
    public ChannelRegistry(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    /** When a channel last made the connection reconnect (a nanoTime), shared to rate-limit it. */
    java.util.concurrent.atomic.AtomicLong lastForcedReconnect() {
        return lastForcedReconnect;
    }

    void add(JetStreamChannel<?> channel) {
        open.add(channel);
        if (closed) {
            channel.detach();
            throw new IllegalStateException("NatsChannels is closed");
        }
    }

    void remove(JetStreamChannel<?> channel) {
        open.remove(channel);
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("NatsChannels is closed");
        }
    }

    /** Ends this process's use of every channel opened through it. Idempotent. */
    public void close() {
        closed = true;
        for (JetStreamChannel<?> c : open) {
            c.detach();
        }
        open.clear();
    }
}
