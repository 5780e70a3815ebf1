package io.qfiber.internal;

import io.qfiber.ChannelClosedException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;

/**
 * {@code Channel.writeAll(Publisher)}: drains a publisher into a channel from a blocking caller,
 * with backpressure.
 *
 * <p>The subscriber requests a batch of {@value #BATCH} values and writes what arrives into a
 * private buffer channel of that capacity, which therefore never overflows; the calling fiber
 * moves values from the buffer into the target with blocking writes and requests more each time
 * it has moved half a batch. So the source is never asked for more than the target can absorb
 * plus one batch. Completion and error travel as the buffer's close.
 */
final class PublisherPump {
    static final int BATCH = 64;

    private PublisherPump() {}

    static <T> void pump(Publisher<? extends T> source, AbstractChannel<T> target) {
        BufferedChannel<T> buffer = new BufferedChannel<>("writeAll buffer", BATCH, io.qfiber.Overflow.BLOCK, null);
        BufferSubscriber<T> subscriber = new BufferSubscriber<>(buffer);
        Flux.from(source).subscribe(subscriber);
        int moved = 0;
        try {
            for (;;) {
                T v;
                try {
                    v = buffer.take(Blocking.NO_DEADLINE);
                } catch (ChannelClosedException end) {
                    Throwable error = end.getCause();
                    if (error == null) {
                        return;
                    }
                    if (error instanceof RuntimeException re) {
                        throw re;
                    }
                    if (error instanceof Error e) {
                        throw e;
                    }
                    throw new CompletionException(error);
                }
                assert v != null;
                target.put(v, Blocking.NO_DEADLINE);
                if (++moved == BATCH / 2) {
                    moved = 0;
                    subscriber.request(BATCH / 2);
                }
            }
        } catch (ChannelClosedException | CancellationException stop) {
            subscriber.cancel();
            throw stop;
        }
    }

    private static final class BufferSubscriber<T> implements CoreSubscriber<T> {
        private final BufferedChannel<T> buffer;
        private volatile Subscription subscription;

        BufferSubscriber(BufferedChannel<T> buffer) {
            this.buffer = buffer;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(BATCH);
        }

        @Override
        public void onNext(T t) {
            if (!buffer.offer(t)) {
                // more than requested: a source breaking the Reactive Streams rules
                subscription.cancel();
                buffer.close(new IllegalStateException("source emitted more than requested"));
            }
        }

        @Override
        public void onError(Throwable t) {
            buffer.close(t);
        }

        @Override
        public void onComplete() {
            buffer.close();
        }

        void request(long n) {
            subscription.request(n);
        }

        void cancel() {
            subscription.cancel();
        }
    }
}
