package io.qfiber.examples.spring;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Two slow remote services, as a WebClient would call them: each answers after a latency. Item
 * {@code "unobtainium"} is never answered. Counts the calls in flight (subscribed, not yet
 * answered or cancelled).
 */
@Component
public class SlowServices {
    private final Duration latency;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();

    /**
     * @param latency how long each call takes ({@code qfiber.example.service-latency}, default 100 ms)
     */
    public SlowServices(@Value("${qfiber.example.service-latency:100ms}") Duration latency) {
        this.latency = latency;
    }

    /**
     * The price service.
     *
     * @param item what to price
     * @return the price in cents, after the latency
     */
    public Mono<Integer> price(String item) {
        return call(item, item.length() * 100);
    }

    /**
     * The stock service.
     *
     * @param item what to count
     * @return how many are in stock, after the latency
     */
    public Mono<Integer> stock(String item) {
        return call(item, Math.floorMod(item.hashCode(), 50));
    }

    /** Answers with {@code value} after the latency; override to change how a call waits. */
    protected Mono<Integer> answer(String item, int value) {
        if (item.equals("unobtainium")) {
            return Mono.never();
        }
        return Mono.delay(latency).thenReturn(value);
    }

    private Mono<Integer> call(String item, int value) {
        return Mono.defer(() -> {
            peakInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            return answer(item, value);
        }).doFinally(signal -> inFlight.decrementAndGet());
    }

    /**
     * Calls in flight now.
     *
     * @return the count
     */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * The most calls that were in flight at once.
     *
     * @return the peak
     */
    public int peakInFlight() {
        return peakInFlight.get();
    }
}
