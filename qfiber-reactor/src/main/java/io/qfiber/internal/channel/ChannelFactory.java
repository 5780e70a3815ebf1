package io.qfiber.internal.channel;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Overflow;
import io.qfiber.internal.TimeDomain;
import io.qfiber.internal.observe.LibraryStats;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.util.Logger;
import reactor.util.Loggers;

/** Creates channels: the builder behind {@code Channel.builder()} and {@code Channel.from}. */
public final class ChannelFactory {
    private static final Logger LOG = Loggers.getLogger(Channel.class);

    private ChannelFactory() {}

    /**
     * {@code Channel.from(source)}: a channel filled by a virtual thread that pumps the source.
     *
     * @param source the publisher
     * @param <T>    value type
     * @return the channel
     */
    public static <T> Channel<T> from(Publisher<? extends T> source) {
        Objects.requireNonNull(source, "source");
        AbstractChannel<T> channel = new BufferedChannel<>("from(" + source + ")", Channel.DEFAULT_CAPACITY, Overflow.BLOCK, null);
        TimeDomain.startVirtualThread("qfiber-from", () -> {
            try {
                PublisherPump.pump(source, channel);
                channel.close();
            } catch (ChannelClosedException | CancellationException closedByConsumer) {
                // the consumer closed the channel: the pump cancelled the source
            } catch (Throwable t) {
                channel.close(t);
                LOG.debug("source of channel '" + channel.name() + "' failed", t);
            }
        });
        return channel;
    }

    /** The builder behind {@code Channel.builder()}. */
    public static final class DefaultBuilder<T> implements Channel.Builder<T> {
        private String name = "channel";
        private boolean named;
        private int capacity = Channel.DEFAULT_CAPACITY;
        private Overflow overflow = Overflow.BLOCK;
        private @Nullable Consumer<? super T> onDrop;

        /** Creates a builder with the defaults of {@code Channel.builder()}. */
        public DefaultBuilder() {}

        @Override
        public Channel.Builder<T> name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            this.named = true;
            return this;
        }

        @Override
        public Channel.Builder<T> capacity(int capacity) {
            if (capacity < 0) {
                throw new IllegalArgumentException("capacity must be >= 0, was " + capacity);
            }
            this.capacity = capacity;
            return this;
        }

        @Override
        public Channel.Builder<T> overflow(Overflow overflow) {
            this.overflow = Objects.requireNonNull(overflow, "overflow");
            return this;
        }

        @Override
        public Channel.Builder<T> onDrop(Consumer<? super T> onDrop) {
            this.onDrop = Objects.requireNonNull(onDrop, "onDrop");
            return this;
        }

        @Override
        public Channel<T> build() {
            if (capacity == 0) {
                if (overflow != Overflow.BLOCK) {
                    throw new IllegalArgumentException("overflow " + overflow
                            + " needs capacity >= 1, was 0 (a rendezvous channel has no buffer to drop from)");
                }
                return named(new RendezvousChannel<>(name, onDrop));
            }
            return named(new BufferedChannel<>(name, capacity, overflow, onDrop));
        }

        private AbstractChannel<T> named(AbstractChannel<T> channel) {
            if (named) {
                channel.enableStats();
                LibraryStats.registerNamed(channel);
            }
            return channel;
        }
    }
}
