package io.qfiber.tck;

import io.qfiber.Channel;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;

/** The Reactive Streams TCK over {@code Channel.asFlux()}: a buffered channel filled, then closed. */
public class ChannelFluxTckTest extends PublisherVerification<Long> {
    public ChannelFluxTckTest() {
        super(new TestEnvironment(2_000, 200));
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        Channel<Long> channel = Channel.unbounded();
        for (long i = 0; i < elements; i++) {
            channel.write(i);
        }
        channel.close();
        return channel.asFlux();
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        Channel<Long> channel = Channel.create();
        channel.close(new IllegalStateException("failed on purpose"));
        return channel.asFlux();
    }

    @Override
    public long maxElementsFromPublisher() {
        return 10_000; // buffered up front: the infinite-stream rules run against FiberFluxTckTest
    }
}
