package io.qfiber.internal.channel;

import io.qfiber.ChannelClosedException;
import io.qfiber.Overflow;
import io.qfiber.internal.Failures;
import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.fiber.Blocking;
import io.qfiber.internal.fiber.Waiter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * {@code Channel.writeAll(Publisher)}: drains a publisher into a channel from a blocking caller,
 * with backpressure.
 *
 * <p>The subscriber requests a batch of {@value #BATCH} values and writes what arrives into a
 * private buffer channel of that capacity, which therefore never overflows; the calling fiber
 * moves values from the buffer into the target with blocking writes and requests more each time
 * it has moved half a batch. So the source is never asked for more than the target can absorb
 * plus one batch. Completion and error travel as the buffer's close. A close of the target
 * cancels the source at once, even while the pump waits for it (or for its subscription).
 */
final class PublisherPump {
    static final int BATCH = 64;

    private PublisherPump() {}

    static <T> void pump(Publisher<? extends T> source, AbstractChannel<T> target) {
        BufferedChannel<T> buffer = new BufferedChannel<>("writeAll buffer", BATCH, Overflow.BLOCK, null);
        BufferSubscriber<T> subscriber = new BufferSubscriber<>(buffer);
        // The target closing while the pump waits for the source (even for the source's
        // subscription, which may come late) stops the source and wakes the pump.
        Waiter onTargetClosed = new Waiter() {
            @Override
            protected void wake() {
                subscriber.cancel();
                buffer.close();
            }
        };
        target.watchClose(onTargetClosed);
        if (target.isClosed()) {
            target.unwatchClose(onTargetClosed);
            throw target.closedException("write");
        }
        Flux.from(source).subscribe(subscriber);
        int moved = 0;
        try {
            for (;;) {
                T v;
                try {
                    v = buffer.take(Blocking.NO_DEADLINE);
                } catch (ChannelClosedException end) {
                    if (target.isClosed()) {
                        throw target.closedException("write");
                    }
                    Throwable error = end.getCause();
                    if (error == null) {
                        return;
                    }
                    throw Failures.rethrow(error);
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
        } finally {
            target.unwatchClose(onTargetClosed);
        }
    }

    /**
     * Holds the upstream subscription by CAS, as {@code MonoSignal} does: a {@link #cancel()} that
     * comes before {@code onSubscribe} (Reactive Streams lets a source call it later, from another
     * thread) leaves a cancelled marker, so the subscription that arrives afterwards is cancelled.
     */
    private static final class BufferSubscriber<T> implements CoreSubscriber<T> {
        private static final VarHandle SUBSCRIPTION =
                FieldHandles.find(MethodHandles.lookup(), BufferSubscriber.class, "subscription", Subscription.class);

        private final BufferedChannel<T> buffer;
        // null until onSubscribe; then the subscription, or the cancelled marker once cancelled
        private volatile @Nullable Subscription subscription;

        BufferSubscriber(BufferedChannel<T> buffer) {
            this.buffer = buffer;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (SUBSCRIPTION.compareAndSet(this, null, s)) {
                s.request(BATCH);
            } else {
                s.cancel(); // cancelled before it arrived, or a second onSubscribe
            }
        }

        @Override
        public void onNext(T t) {
            if (!buffer.offer(t)) {
                // more than requested: a source breaking the Reactive Streams rules
                cancel();
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
            Subscription s = subscription;
            if (s != null) {
                s.request(n);
            }
        }

        void cancel() {
            Subscription s = (Subscription) SUBSCRIPTION.getAndSet(this, Operators.cancelledSubscription());
            if (s != null) {
                s.cancel();
            }
        }
    }
}
