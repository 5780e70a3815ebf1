package io.qfiber.tck;

import io.qfiber.Fiber;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;

/**
 * The Reactive Streams TCK over {@code Fiber.flux}: a fiber writing in blocking style into a
 * rendezvous channel seen through {@code asFlux()}, up to unbounded streams.
 */
public class FiberFluxTckTest extends PublisherVerification<Long> {
    public FiberFluxTckTest() {
        super(new TestEnvironment(2_000, 200));
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return Fiber.flux(ch -> {
            for (long i = 0; i < elements; i++) {
                ch.write(i);
            }
        });
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return Fiber.flux(ch -> {
            throw new IllegalStateException("failed on purpose");
        });
    }
}
