package io.qfiber.examples.spring;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import io.qfiber.Overflow;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * A live feed: a threaded fiber writes an {@link Event} into a channel at a fixed interval. The
 * channel keeps the 16 newest events nobody has taken yet ({@link Overflow#DROP_OLDEST}; older
 * ones are counted as dropped), so a feed nobody watches never blocks its writer.
 *
 * <p>Two reactive views: {@link #each()} is the channel's own {@code asFlux()}, so its subscribers
 * <em>compete</em> (every event goes to exactly one of them, like workers on a queue);
 * {@link #all()} shares one subscription among its subscribers, so each of them sees every event
 * from the moment it joins (and counts as a single competitor of {@link #each()}).
 *
 * <p>The bean owns its fiber: {@link #close()} (called by Spring when the context closes) closes
 * the channel, which completes every stream, and ends the fiber and its thread.
 */
@Component
public class EventFeed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventFeed.class);

    private final AtomicLong dropped = new AtomicLong();
    private final Channel<Event> events = Channel.<Event>builder().name("events").capacity(16)
            .overflow(Overflow.DROP_OLDEST).onDrop(e -> dropped.incrementAndGet()).build();
    private final Flux<Event> shared = events.asFlux().publish(1).refCount();
    private final Fiber<Void> ticker;

    /**
     * Starts the writer.
     *
     * @param interval time between two events ({@code qfiber.example.tick-interval}, default 1 s)
     */
    public EventFeed(@Value("${qfiber.example.tick-interval:1s}") Duration interval) {
        ticker = Fiber.builder().name("event-ticker").threaded().start(() -> {
            long seq = 0;
            try {
                for (;;) {
                    Fiber.sleep(interval);
                    events.write(new Event(++seq, System.currentTimeMillis()));
                }
            } catch (ChannelClosedException closed) {
                LOG.info("event feed closed after {} events ({} dropped unwatched)", seq, dropped.get());
            }
        });
    }

    /**
     * Events for competing subscribers: each event goes to exactly one of them.
     *
     * @return the channel's Flux; completes when the feed closes
     */
    public Flux<Event> each() {
        return events.asFlux();
    }

    /**
     * Events for sharing subscribers: each sees every event from the moment it subscribes.
     *
     * @return one shared subscription of the channel; completes when the feed closes
     */
    public Flux<Event> all() {
        return shared;
    }

    /** The writing fiber (for tests). */
    Fiber<Void> ticker() {
        return ticker;
    }

    /** Closes the feed: streams complete, the writer ends; waits up to 5 s for it. */
    @Override
    public void close() {
        events.close();
        ticker.cancel(); // wakes it from its sleep; its next write would throw anyway
        ticker.join(Duration.ofSeconds(5));
    }
}
