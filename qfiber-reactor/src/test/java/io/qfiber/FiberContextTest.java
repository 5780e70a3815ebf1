package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/** {@code Fiber.context()}: the subscriber's Reactor Context inside fibers started by mono/flux. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FiberContextTest {

    @Test
    void aMonoFiberSeesItsSubscribersContextAndEachSubscriptionItsOwn() {
        Mono<String> tenant = Fiber.mono(() -> Fiber.context().getOrDefault("tenant", "none"));
        assertThat(tenant.contextWrite(Context.of("tenant", "acme")).block(Duration.ofSeconds(5))).isEqualTo("acme");
        assertThat(tenant.contextWrite(Context.of("tenant", "globex")).block(Duration.ofSeconds(5))).isEqualTo("globex");
        assertThat(tenant.block(Duration.ofSeconds(5))).isEqualTo("none");
    }

    @Test
    void aFluxFiberSeesItsSubscribersContext() {
        Flux<String> ids = Fiber.flux(ch -> {
            String trace = Fiber.context().get("trace");
            ch.write(trace + "-1");
            ch.write(trace + "-2");
        });
        StepVerifier.create(ids.contextWrite(Context.of("trace", "t42")))
                .expectNext("t42-1", "t42-2").verifyComplete();
    }

    @Test
    void elsewhereTheContextIsEmpty() {
        assertThat(Fiber.context().isEmpty()).as("platform thread").isTrue();
        assertThat(Fiber.start("plain", () -> Fiber.context().isEmpty()).join()).as("plain fiber").isTrue();
        // a fiber started from a mono fiber is not started by mono/flux: its context is empty
        Mono<Boolean> childEmpty = Fiber.mono(() -> Fiber.start("child", () -> Fiber.context().isEmpty()).join());
        assertThat(childEmpty.contextWrite(Context.of("k", "v")).block(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void awaitPassesTheFibersContextOnToTheAwaitedMono() {
        AtomicReference<ContextView> seen = new AtomicReference<>();
        Mono<List<String>> chain = Fiber.mono(() -> {
            String a = Fiber.await(Mono.deferContextual(c -> Mono.just(c.<String>get("user"))));
            String b = Fiber.await(Mono.deferContextual(c -> {
                seen.set(c);
                return Mono.just(c.getOrDefault("user", "?") + "!");
            }));
            return List.of(a, b);
        });
        assertThat(chain.contextWrite(Context.of("user", "ada")).block(Duration.ofSeconds(5))).containsExactly("ada", "ada!");
        assertThat(seen.get().hasKey("user")).isTrue();
        // outside such a fiber, await subscribes with an empty context
        assertThat(Fiber.start("plain", () -> Fiber.await(Mono.deferContextual(c -> Mono.just(c.isEmpty())))).join()).isTrue();
    }

    @Test
    void concurrentSubscriptionsKeepTheirContextsApart() {
        Mono<String> echo = Fiber.mono(() -> {
            Fiber.sleep(Duration.ofMillis(1));
            return Fiber.context().get("n");
        });
        List<String> got = Flux.range(0, 200)
                .flatMap(i -> echo.contextWrite(Context.of("n", "v" + i)).map(v -> v + "=" + i), 32)
                .collectList().block(Duration.ofSeconds(20));
        assertThat(got).hasSize(200).allSatisfy(s -> {
            String[] parts = s.split("=");
            assertThat(parts[0]).isEqualTo("v" + parts[1]);
        });
    }
}
