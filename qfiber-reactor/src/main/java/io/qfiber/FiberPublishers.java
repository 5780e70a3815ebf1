package io.qfiber;

import io.qfiber.internal.Failures;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The bridges from fiber code into Reactor behind {@link Fiber#mono} and {@link Fiber#flux}: a new
 * fiber per subscription, started with the subscriber's context, its outcome mapped to the
 * subscriber's terminal signal, and a subscriber's cancel mapped to the fiber's cancellation.
 */
final class FiberPublishers {
    private FiberPublishers() {}

    static <T> Mono<T> mono(Callable<T> body) {
        Objects.requireNonNull(body, "body");
        return Mono.create(sink -> {
            Fiber<T> fiber = new FiberBuilder().name("mono").context(sink.contextView()).start(body);
            AtomicBoolean subscriberCancelled = new AtomicBoolean();
            sink.onCancel(() -> {
                subscriberCancelled.set(true);
                fiber.cancel();
            });
            fiber.result.whenComplete((value, error) -> {
                if (error == null) {
                    sink.success(value);
                } else if (!subscriberCancelled.get()) {
                    // Also a fiber cancelled by anyone but the subscriber: the Mono must terminate.
                    sink.error(unwrap(error));
                }
            });
        });
    }

    static <T> Flux<T> flux(Consumer<Channel<T>> body) {
        Objects.requireNonNull(body, "body");
        return Flux.deferContextual(subscriberContext -> {
            Channel<T> channel = Channel.<T>builder().name("flux").capacity(0).build();
            Fiber<Void> fiber = new FiberBuilder().name("flux").context(subscriberContext)
                    .start(() -> body.accept(channel));
            AtomicBoolean subscriberCancelled = new AtomicBoolean();
            fiber.result.whenComplete((v, error) -> {
                if (error == null || (error instanceof CancellationException && subscriberCancelled.get())) {
                    channel.close();
                } else {
                    // a failure, or a cancellation by anyone but the subscriber: the Flux errors
                    channel.close(unwrap(error));
                }
            });
            // After the cancel has reached the channel's subscriber (doFinally runs after it
            // propagated upstream), so closing the channel cannot signal completion to it.
            return channel.asFlux().doFinally(signal -> {
                if (signal == SignalType.CANCEL) {
                    subscriberCancelled.set(true);
                    channel.close();
                    fiber.cancel();
                }
            });
        });
    }

    /** The failure a subscriber sees: the cause of a {@link CompletionException}, else the error. */
    static Throwable unwrap(Throwable error) {
        return Failures.unwrap(error);
    }
}
