package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.context.ContextRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

/**
 * With context-propagation on the class path, ThreadLocals registered with its registry are set
 * from the subscriber's context inside fibers of {@code Fiber.mono}/{@code Fiber.flux}, and
 * cleared when the fiber ends or is cancelled.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ThreadLocalContextTest {
    private static final String KEY = "qfiber.test.tenant";
    private static final ThreadLocal<String> TENANT = new ThreadLocal<>();
    private static final AtomicInteger CLEARED = new AtomicInteger();

    @BeforeAll
    static void register() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(KEY, TENANT::get, TENANT::set, () -> {
            TENANT.remove();
            CLEARED.incrementAndGet();
        });
    }

    @AfterAll
    static void unregister() {
        ContextRegistry.getInstance().removeThreadLocalAccessor(KEY);
    }

    @Test
    void aMonoFibersThreadLocalComesFromItsSubscribersContext() {
        Mono<String> tenant = Fiber.mono(() -> String.valueOf(TENANT.get()));
        assertThat(tenant.contextWrite(Context.of(KEY, "acme")).block(Duration.ofSeconds(5))).isEqualTo("acme");
        assertThat(tenant.block(Duration.ofSeconds(5))).as("no context, nothing set").isEqualTo("null");
        assertThat(Fiber.start("plain", () -> String.valueOf(TENANT.get())).join()).isEqualTo("null");
    }

    @Test
    void aFluxFibersThreadLocalComesFromItsSubscribersContext() {
        Flux<String> f = Fiber.flux(ch -> {
            ch.write(TENANT.get() + "-1");
            Fiber.sleep(Duration.ofMillis(1));
            ch.write(TENANT.get() + "-2");
        });
        StepVerifier.create(f.contextWrite(Context.of(KEY, "globex"))).expectNext("globex-1", "globex-2").verifyComplete();
    }

    @Test
    void concurrentSubscriptionsEachSeeTheirOwnValue() {
        Mono<String> tenant = Fiber.mono(() -> {
            String before = TENANT.get();
            Fiber.sleep(Duration.ofMillis(5)); // parked and resumed, possibly on another carrier
            return before + "/" + TENANT.get();
        });
        List<String> got = Flux.range(0, 200)
                .flatMap(i -> tenant.contextWrite(Context.of(KEY, "t" + i)).map(v -> i + "=" + v), 200)
                .collectList().block(Duration.ofSeconds(20));
        assertThat(got).hasSize(200).allSatisfy(s -> {
            String i = s.substring(0, s.indexOf('='));
            assertThat(s).isEqualTo(i + "=t" + i + "/t" + i);
        });
    }

    @Test
    void theThreadLocalIsClearedWhenTheFiberEndsOrIsCancelled() throws Exception {
        int before = CLEARED.get();
        assertThat(Fiber.mono(() -> TENANT.get()).contextWrite(Context.of(KEY, "x")).block(Duration.ofSeconds(5))).isEqualTo("x");
        TestSupport.awaitCondition("cleared after the end", () -> CLEARED.get() > before);

        int beforeCancel = CLEARED.get();
        CountDownLatch started = new CountDownLatch(1);
        Channel<String> never = Channel.create();
        Disposable d = Fiber.mono(() -> {
            started.countDown();
            return never.read();
        }).contextWrite(Context.of(KEY, "y")).subscribe();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        d.dispose();
        TestSupport.awaitCondition("cleared after the cancel", () -> CLEARED.get() > beforeCancel);
    }

    @Test
    void awaitPassesTheContextOnSoTheAwaitedMonoSeesTheThreadLocalToo() {
        Mono<String> inner = Mono.deferContextual(ctx -> Mono.just(ctx.getOrDefault(KEY, "none")));
        Mono<String> outer = Fiber.mono(() -> Fiber.await(inner) + "/" + TENANT.get());
        assertThat(outer.contextWrite(Context.of(KEY, "acme")).block(Duration.ofSeconds(5))).isEqualTo("acme/acme");
    }

    @Test
    void aThreadLocalThatCannotBeSetFailsTheMonoAndTheFluxInsteadOfLeavingThemHanging() {
        String key = "qfiber.test.broken";
        ContextRegistry.getInstance().registerThreadLocalAccessor(key, () -> null, v -> {
            throw new IllegalStateException("cannot set " + v);
        }, () -> { });
        try {
            AtomicInteger bodiesRun = new AtomicInteger();
            Mono<String> mono = Fiber.mono(() -> {
                bodiesRun.incrementAndGet();
                return "ran";
            });
            StepVerifier.create(mono.contextWrite(Context.of(key, "x")))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                            .hasMessage("cannot set x"))
                    .verify(Duration.ofSeconds(10));
            Flux<String> flux = Fiber.flux(ch -> {
                bodiesRun.incrementAndGet();
                ch.write("ran");
            });
            StepVerifier.create(flux.contextWrite(Context.of(key, "y")))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                            .hasMessage("cannot set y"))
                    .verify(Duration.ofSeconds(10));
            assertThat(bodiesRun).as("a body without its context does not run").hasValue(0);
            // and the fibers ended: none is left alive
            TestSupport.awaitCondition("the fibers to end", Duration.ofSeconds(10),
                    () -> FiberDump.snapshot(false).stream().noneMatch(f -> f.name().equals("mono") || f.name().equals("flux")));
        } finally {
            ContextRegistry.getInstance().removeThreadLocalAccessor(key);
        }
    }
}
