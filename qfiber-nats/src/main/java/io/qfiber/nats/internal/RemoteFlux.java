package io.qfiber.nats.internal;

import io.nats.client.Message;
import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import io.qfiber.Overflow;
import io.qfiber.nats.Delivery;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * A remote channel's {@code asFlux()}: each subscription reads in a fiber of its own, only against
 * demand. It receives a value when the subscriber has requested one (counting what was requested
 * as that many waiting readers, so the fetcher pulls as many at once, at most
 * {@link JetStreamChannel#BATCH}), acks it with the server's confirmation, then emits it. A cancel
 * takes nothing more; a value received but not yet acked when the cancel comes is handed back. A
 * channel closed and drained completes the Flux (or fails it with the close's cause) without
 * waiting for demand, as Reactive Streams wants of a terminal signal.
 */
final class RemoteFlux {
    /** How often a subscription without demand looks whether the channel ended. */
    private static final Duration END_POLL = Duration.ofMillis(50);

    private RemoteFlux() {}

    static <T> Flux<T> of(JetStreamChannel<T> channel) {
        return Flux.create(sink -> {
            AtomicLong requested = new AtomicLong();
            Channel<Boolean> wake = Channel.<Boolean>builder().name("remote channel '" + channel.name() + "' (Flux demand)")
                    .capacity(1).overflow(Overflow.DROP_LATEST).build();
            Fiber<Void> reader = Fiber.builder().name("qfiber-nats-flux " + channel.name()).detached().onSharedScheduler()
                    .start(() -> emitAgainstDemand(channel, sink, requested, wake));
            channel.startReading(); // so that a close is noticed before any demand
            sink.onRequest(n -> {
                requested.getAndUpdate(r -> r + n < 0 ? Long.MAX_VALUE : r + n);
                wake.tryWrite(Boolean.TRUE);
            });
            sink.onCancel(() -> {
                reader.cancel();
                wake.close();
            });
        }, FluxSink.OverflowStrategy.ERROR);
    }

    private static <T> void emitAgainstDemand(JetStreamChannel<T> channel, FluxSink<T> sink, AtomicLong requested,
                                              Channel<Boolean> wake) {
        try {
            for (;;) {
                while (requested.get() == 0) {
                    // no demand: nothing is taken, but a channel closed and drained ends the Flux
                    if (channel.drainedHere()) {
                        throw channel.closedException("asFlux");
                    }
                    wake.read(END_POLL);
                }
                int weight = (int) Math.min(requested.get(), JetStreamChannel.BATCH);
                Message m = channel.take(Long.MIN_VALUE, "asFlux", Math.max(1, weight));
                assert m != null;
                Delivery<T> d = new RemoteDelivery<>(channel, channel.decode(m), m);
                if (sink.isCancelled()) {
                    d.nak();
                    return;
                }
                d.ack();
                requested.decrementAndGet();
                sink.next(d.value());
            }
        } catch (ChannelClosedException end) {
            if (sink.isCancelled()) {
                return;
            }
            Throwable cause = end.getCause();
            if (cause == null || channel.isDetached()) {
                sink.complete();
            } else {
                sink.error(cause);
            }
        } catch (CancellationException cancelled) {
            // the subscriber cancelled
        } catch (RuntimeException e) {
            sink.error(e);
        }
    }
}
