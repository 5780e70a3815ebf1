package io.qfiber.tck;

import io.qfiber.Fiber;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;

/** The Reactive Streams TCK over {@code Fiber.mono}: at most one element. */
public class FiberMonoTckTest extends PublisherVerification<Long> {
    public FiberMonoTckTest() {
        super(new TestEnvironment(2_000, 200));
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return Fiber.mono(() -> 42L);
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return Fiber.mono(() -> {
            throw new IllegalStateException("failed on purpose");
        });
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }
}
