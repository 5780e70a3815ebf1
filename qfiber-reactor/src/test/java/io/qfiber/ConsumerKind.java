package io.qfiber;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.BaseSubscriber;

/** Every kind of consumer the contract tests run over: a fiber, a platform thread, a Flux subscriber. */
enum ConsumerKind {
    /** A fiber calling {@code read()} until the channel is closed and drained. */
    FIBER {
        @Override
        <T> Drained<T> drain(Channel<T> channel) {
            CompletableFuture<Drained.Result<T>> done = new CompletableFuture<>();
            Fiber.start("consumer", () -> {
                List<T> got = new ArrayList<>();
                try {
                    for (;;) {
                        got.add(channel.read());
                    }
                } catch (ChannelClosedException e) {
                    done.complete(new Drained.Result<>(got, e.getCause()));
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            return new Drained<>(done);
        }
    },
    /** A platform thread iterating the channel with for-each. */
    PLATFORM_THREAD {
        @Override
        <T> Drained<T> drain(Channel<T> channel) {
            CompletableFuture<Drained.Result<T>> done = new CompletableFuture<>();
            Thread.ofPlatform().name("consumer").daemon().start(() -> {
                List<T> got = new ArrayList<>();
                try {
                    for (T v : channel) {
                        got.add(v);
                    }
                    done.complete(new Drained.Result<>(got, null));
                } catch (ChannelClosedException e) {
                    done.complete(new Drained.Result<>(got, e.getCause()));
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            return new Drained<>(done);
        }
    },
    /** A Flux subscriber of {@code asFlux()} requesting in small batches. */
    FLUX {
        @Override
        <T> Drained<T> drain(Channel<T> channel) {
            CompletableFuture<Drained.Result<T>> done = new CompletableFuture<>();
            channel.asFlux().subscribe(new BaseSubscriber<T>() {
                final List<T> got = new ArrayList<>();
                int sinceRequest;

                @Override
                protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
                    s.request(8);
                }

                @Override
                protected void hookOnNext(T value) {
                    got.add(value);
                    if (++sinceRequest == 4) {
                        sinceRequest = 0;
                        request(4);
                    }
                }

                @Override
                protected void hookOnComplete() {
                    done.complete(new Drained.Result<>(got, null));
                }

                @Override
                protected void hookOnError(Throwable t) {
                    done.complete(new Drained.Result<>(got, t));
                }
            });
            return new Drained<>(done);
        }
    };

    /** Starts a consumer that takes values until the channel is closed and drained. */
    abstract <T> Drained<T> drain(Channel<T> channel);

    /** What a consumer took, once it ended. */
    record Drained<T>(CompletableFuture<Result<T>> future) {
        record Result<T>(List<T> values, @Nullable Throwable closeCause) {}

        Result<T> await() {
            return future.orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
        }
    }
}
