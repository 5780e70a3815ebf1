package io.qfiber.internal.channel;

import io.qfiber.internal.FieldHandles;
import io.qfiber.internal.fiber.Waiter;
import io.qfiber.internal.fiber.WaiterList;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

/**
 * One subscriber of {@code Channel.asFlux()}: a consumer of the channel that moves values into a
 * unicast {@link Sinks.Many} only against the subscriber's demand.
 *
 * <p>Drain loop, serialized by the {@code wip} counter (the usual Reactor work-in-progress
 * idiom): while demand is left, take a value with the channel's non-blocking {@code poll()} and
 * emit it; when the channel has nothing, register this consumer as a waiting reader and re-check
 * (the event-count protocol of {@link WaiterList}). A writer that makes a value readable wakes
 * this consumer, which runs the drain on the writer's thread. A request runs it on the
 * requester's thread. Nothing here blocks, so it is safe on event loops.
 *
 * <p>Loss: a value is taken from the channel only with demand outstanding, so the subscriber
 * receives it unless it cancels in between; such a value (one the sink refused) goes to the
 * channel's drop consumer.
 */
final class FluxConsumer<T> extends Waiter {
    private static final VarHandle WIP;
    private static final VarHandle REQUESTED;

    static {
        MethodHandles.Lookup l = MethodHandles.lookup();
        WIP = FieldHandles.find(l, FluxConsumer.class, "wip", int.class);
        REQUESTED = FieldHandles.find(l, FluxConsumer.class, "requested", long.class);
    }

    private final AbstractChannel<T> channel;
    // Emission is serialized by the drain loop, so the sink needs no emission guard of its own.
    // Emits straight to the subscriber, without a queue: the drain loop emits only against demand
    // the sink has already seen (requests reach the sink before this consumer counts them).
    private final Sinks.Many<T> sink = Sinks.unsafe().many().unicast().onBackpressureError();

    private volatile int wip;
    private volatile long requested;
    private volatile boolean cancelled;
    // true while linked in channel.readers by this consumer; cleared by wake() before it drains.
    private volatile boolean registered;
    // Drain-loop only.
    private long emitted;
    private boolean done;

    private final Waiter closeWatcher = new Waiter() {
        @Override
        protected void wake() {
            drain();
        }
    };

    FluxConsumer(AbstractChannel<T> channel) {
        this.channel = channel;
    }

    Flux<T> flux() {
        Flux<T> source = sink.asFlux();
        return Flux.from(subscriber -> source.subscribe(new Edge(Operators.toCoreSubscriber(subscriber))));
    }

    /**
     * Sits between the sink and the subscriber: forwards a request to the sink first and then
     * counts it here, and drains once the subscriber has its subscription (so a channel already
     * closed and drained terminates the Flux without demand).
     */
    private final class Edge implements CoreSubscriber<T>, Subscription {
        private final CoreSubscriber<? super T> actual;
        private volatile @Nullable Subscription upstream;

        Edge(CoreSubscriber<? super T> actual) {
            this.actual = actual;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            upstream = s;
            actual.onSubscribe(this);
            // Woken by close whatever the demand, so a closed channel terminates the Flux even for
            // a subscriber that requests nothing. Registered only now that the sink has its
            // subscriber: the sink cannot hold a terminal signal for one that comes later.
            channel.watchClose(closeWatcher);
            drain();
        }

        @Override
        public void onNext(T t) {
            actual.onNext(t);
        }

        @Override
        public void onError(Throwable t) {
            actual.onError(t);
        }

        @Override
        public void onComplete() {
            actual.onComplete();
        }

        @Override
        public void request(long n) {
            Subscription s = upstream;
            if (s != null) {
                s.request(n);
            }
            FluxConsumer.this.request(n);
        }

        @Override
        public void cancel() {
            Subscription s = upstream;
            if (s != null) {
                s.cancel();
            }
            FluxConsumer.this.cancel();
        }
    }

    private void request(long n) {
        if (n <= 0) {
            return; // the sink reports the rule violation to the subscriber
        }
        for (;;) {
            long r = requested;
            long next = r + n < 0 ? Long.MAX_VALUE : r + n;
            if (r == Long.MAX_VALUE || REQUESTED.compareAndSet(this, r, next)) {
                break;
            }
        }
        drain();
    }

    private void cancel() {
        cancelled = true;
        drain(); // unregisters, drops a handed-over value, passes a wake-up on

    }

    @Override
    protected void wake() {
        registered = false;
        drain();
    }

    private void drain() {
        if ((int) WIP.getAndAdd(this, 1) != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            if (!done) {
                drainLoop();
            }
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
            if (missed == 0) {
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void drainLoop() {
        for (;;) {
            if (cancelled) {
                done = true;
                channel.unwatchClose(closeWatcher);
                Object handed = handOff;
                if (handed != null) {
                    handOff = null;
                    channel.dropped((T) handed);
                }
                if (!channel.readers.remove(this)) {
                    // We may hold a wake-up meant for a reader: pass it on.
                    channel.passOnReaderWakeUp();
                }
                return;
            }
            Object handed = handOff;
            if (handed != null) {
                // A writer took us as a waiting reader: we were registered with demand, and took
                // nothing else since (see below), so this value has its demand. (Checked anyway:
                // a value without demand waits here for a request, or goes to onDrop on cancel.)
                if (emitted == requested) {
                    return;
                }
                handOff = null;
                emit((T) handed);
                continue;
            }
            if (emitted == requested) {
                // No demand: only a terminal signal may go out (it needs none). Never registered
                // here: registration happens only with demand, and ends with the one value it
                // brings.
                if (channel.isClosed() && channel.isDrained()) {
                    terminate();
                }
                return;
            }
            if (registered) {
                // Waiting as a reader. A value registration brings comes by hand-off with a
                // wake-up. Something readable meanwhile (the re-check of the event-count protocol)
                // is taken only after leaving the list: taking it while still listed would let a
                // writer hand over a second value for the same demand.
                if (!channel.hasReadable() && !channel.isClosed()) {
                    return;
                }
                if (!channel.readers.remove(this)) {
                    return; // a writer unlinked us: its wake-up runs this loop again, with its value
                }
                registered = false;
            } else if (handOff != null) {
                // A wake-up cleared `registered` after its writer set handOff: read in this order
                // (registered, then handOff), the hand-off is seen before we take anything else.
                continue;
            }
            T v = channel.poll();
            if (v != null) {
                emit(v);
                continue;
            }
            if (channel.isClosed() && channel.isDrained()) {
                terminate();
                return;
            }
            if (channel.isClosed()) {
                // closing: the kind shuts in a moment, and a write may still get in before it
                Thread.onSpinWait();
                continue;
            }
            registered = true;
            channel.readers.add(this);
            // re-checked at the top: a value that became readable before we were listed
        }
    }

    /** Completes or errors the sink once the channel is closed and drained. */
    private void terminate() {
        if (handOff != null) {
            return; // delivered first, with demand
        }
        done = true;
        channel.readers.remove(this);
        channel.unwatchClose(closeWatcher);
        Throwable cause = channel.closeCause();
        if (cause == null) {
            sink.tryEmitComplete();
        } else {
            sink.tryEmitError(cause);
        }
    }

    private void emit(T v) {
        emitted++;
        Sinks.EmitResult result = sink.tryEmitNext(v);
        if (result.isFailure()) {
            // FAIL_CANCELLED or FAIL_TERMINATED: the subscriber is gone; the value is not lost.
            channel.dropped(v);
        }
    }
}
