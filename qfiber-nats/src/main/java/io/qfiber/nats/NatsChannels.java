package io.qfiber.nats;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.qfiber.nats.internal.ChannelRegistry;
import io.qfiber.nats.internal.JetStreamChannelBuilder;
import io.qfiber.nats.internal.QuietErrorListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;

/**
 * The entry point to channels across processes: a connection to a NATS server (or cluster) with
 * JetStream, from which remote channels are opened by name.
 *
 * <pre>{@code
 * try (NatsChannels nats = NatsChannels.connect("nats://127.0.0.1:4222")) {
 *     RemoteChannel<String> jobs = nats.channel("jobs", Codec.utf8()).capacity(100).open();
 *     jobs.write("resize image 42");             // in one process
 *     String job = jobs.read();                   // in any process
 * }
 * }</pre>
 *
 * <p>Thread-safe. Closing it ends this process's use of its channels; the channels and their
 * values live on in the server.
 */
public final class NatsChannels implements AutoCloseable {
    private final Connection connection;
    private final boolean owned;
    private final ChannelRegistry registry;

    private NatsChannels(Connection connection, boolean owned) {
        this.connection = connection;
        this.owned = owned;
        this.registry = new ChannelRegistry(connection);
    }

    /**
     * Connects to a NATS server. Blocks until connected. The connection reconnects on its own
     * whenever it is lost; calls on remote channels wait for it meanwhile.
     *
     * @param url the server's URL, for example {@code nats://127.0.0.1:4222}; several, comma
     *            separated, for a cluster
     * @return the connected instance, which owns the connection
     * @throws UncheckedIOException     if no server answers at {@code url} (the message names it)
     * @throws IllegalArgumentException if {@code url} is not a NATS URL
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted
     */
    public static NatsChannels connect(String url) {
        Objects.requireNonNull(url, "url");
        Options options;
        try {
            options = new Options.Builder()
                    .servers(url.split(","))
                    .connectionTimeout(Duration.ofSeconds(5))
                    .maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(250))
                    .connectionName("qfiber")
                    .errorListener(new QuietErrorListener())
                    .build();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("url is not a NATS server URL: '" + url + "': " + e.getMessage(), e);
        }
        try {
            return new NatsChannels(Nats.connect(options), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to NATS at " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("connecting to " + url + " was cancelled");
        }
    }

    /**
     * Uses a connection the caller made (and keeps owning: {@link #close()} leaves it open).
     *
     * @param connection a connected NATS connection to a server with JetStream
     * @return the instance
     */
    public static NatsChannels using(Connection connection) {
        return new NatsChannels(Objects.requireNonNull(connection, "connection"), false);
    }

    /**
     * Starts opening the remote channel of this name (see {@link RemoteChannel.Builder#open()}).
     *
     * @param name  the channel's name: letters, digits, {@code -} and {@code _}, at most 64
     *              characters (it names a JetStream stream)
     * @param codec how its values become bytes
     * @param <T>   the value type
     * @return a builder
     * @throws IllegalArgumentException if the name has other characters or is empty or too long
     * @throws IllegalStateException    if this instance is closed
     */
    public <T> RemoteChannel.Builder<T> channel(String name, Codec<T> codec) {
        return new JetStreamChannelBuilder<>(registry, name, codec);
    }

    /**
     * The connection, for what this API does not cover.
     *
     * @return the connection
     */
    public Connection connection() {
        return connection;
    }

    /**
     * Ends this process's use of its channels: calls blocked on them throw
     * {@link io.qfiber.ChannelClosedException}, values fetched ahead and not handed out go back to
     * the server for other readers, and the connection is closed if this instance made it. The
     * channels and their values stay on the server. Idempotent.
     */
    @Override
    public void close() {
        registry.close();
        if (owned) {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
