package io.qfiber.examples.spring;

import io.qfiber.Fiber;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Request handlers: a blocking-style handler in a fiber, and the live feed as server-sent events.
 */
@RestController
public class QuoteController {
    private static final Logger LOG = LoggerFactory.getLogger(QuoteController.class);

    private final SlowServices services;
    private final EventFeed feed;
    private final Duration timeout;

    /**
     * @param services the two slow services
     * @param feed     the live feed
     * @param timeout  the budget of one quote ({@code qfiber.example.quote-timeout}, default 1 s)
     */
    public QuoteController(SlowServices services, EventFeed feed,
                           @Value("${qfiber.example.quote-timeout:1s}") Duration timeout) {
        this.services = services;
        this.feed = feed;
        this.timeout = timeout;
    }

    /**
     * Asks the price service, then the stock service, in plain sequential code: the handler is a
     * fiber ({@link Fiber#mono}) that parks its virtual thread in {@link Fiber#await}, so no
     * event-loop thread waits. Over budget, the Mono times out, which cancels the fiber and with
     * it the service call it waits on: 504.
     *
     * @param item the item
     * @return 200 with the quote, or 504 after the timeout
     */
    @GetMapping("/quote/{item}")
    public Mono<ResponseEntity<Quote>> quote(@PathVariable String item) {
        return Fiber.mono(() -> {
            LOG.info("quote for {}: asking the price service", item);
            int price = Fiber.await(services.price(item));
            int stock = Fiber.await(services.stock(item));
            LOG.info("quote for {}: {} cents, {} in stock", item, price, stock);
            return ResponseEntity.ok(new Quote(item, price, stock, Thread.currentThread().isVirtual()));
        }).timeout(timeout).onErrorResume(TimeoutException.class, e -> {
            LOG.warn("quote for {}: no answer within {}", item, timeout);
            return Mono.just(ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT).build());
        });
    }

    /**
     * The live feed, each event to exactly one of the connected clients.
     *
     * @return server-sent events
     */
    @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<Event> events() {
        return feed.each();
    }

    /**
     * The live feed, every event to every connected client.
     *
     * @return server-sent events
     */
    @GetMapping(path = "/events/all", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<Event> allEvents() {
        return feed.all();
    }
}
