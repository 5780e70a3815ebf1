package io.qfiber.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Channel;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.resources.LoopResources;

/** The Spring Boot example against its running server on a random port. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "qfiber.example.tick-interval=40ms",
        "qfiber.example.service-latency=20ms",
        "qfiber.example.quote-timeout=30s",
        "qfiber.example.job-capacity=4",
        "qfiber.example.admission-timeout=30s"})
@ExtendWith(OutputCaptureExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpringExampleTest {
    @LocalServerPort
    int port;

    @Autowired
    SlowServices services;

    @Autowired
    JobQueue jobs;

    @Autowired
    GatedJobs gatedJobs;

    WebTestClient client;

    @BeforeEach
    void client() {
        client = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(30)).build();
    }

    /** Jobs that wait for a permit from the test; and quotes for "gated-*" items that wait for a gate. */
    @TestConfiguration
    static class Gates {
        @Bean
        GatedJobs gatedJobs() {
            return new GatedJobs();
        }

        @Bean
        @Primary
        JobProcessor gatedProcessor(GatedJobs gated) {
            return job -> {
                gated.started.incrementAndGet();
                gated.permits.read();
            };
        }

        @Bean
        @Primary
        SlowServices gatedServices() {
            return new GatedServices();
        }
    }

    static final class GatedJobs {
        final Channel<String> permits = Channel.unbounded();
        final AtomicInteger started = new AtomicInteger();
    }

    static final class GatedServices extends SlowServices {
        final Sinks.Empty<Void> gate = Sinks.empty();

        GatedServices() {
            super(Duration.ofMillis(20));
        }

        @Override
        protected Mono<Integer> answer(String item, int value) {
            return item.startsWith("gated") ? gate.asMono().thenReturn(value) : super.answer(item, value);
        }
    }

    private Flux<Event> events(String path) {
        return client.get().uri(path).accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk().returnResult(Event.class).getResponseBody();
    }

    @Test
    void sseDeliversTheFeedInOrder() {
        List<Event> got = events("/events").take(5).collectList().block(Duration.ofSeconds(30));
        assertThat(got).hasSize(5);
        for (int i = 1; i < got.size(); i++) {
            assertThat(got.get(i).seq()).isGreaterThan(got.get(i - 1).seq());
        }
    }

    @Test
    void clientsOfEventsCompeteAndClientsOfAllShare() {
        Mono<List<Event>> a = events("/events").take(6).collectList();
        Mono<List<Event>> b = events("/events").take(6).collectList();
        var competing = Mono.zip(a, b).block(Duration.ofSeconds(30));
        Set<Long> seen = new HashSet<>();
        competing.getT1().forEach(e -> seen.add(e.seq()));
        competing.getT2().forEach(e -> assertThat(seen.add(e.seq())).as("event %d went to both", e.seq()).isTrue());

        Mono<List<Event>> c = events("/events/all").take(6).collectList();
        Mono<List<Event>> d = events("/events/all").take(6).collectList();
        var sharing = Mono.zip(c, d).block(Duration.ofSeconds(30));
        for (List<Event> one : List.of(sharing.getT1(), sharing.getT2())) {
            for (int i = 1; i < one.size(); i++) {
                assertThat(one.get(i).seq()).as("every event, in order").isEqualTo(one.get(i - 1).seq() + 1);
            }
        }
    }

    @Test
    void aQuoteIsFiberCodeAndItsLogLinesCarryTheRequestId(CapturedOutput output) {
        Quote q = client.get().uri("/quote/apple").header(RequestIdFilter.HEADER, "req-42").exchange()
                .expectStatus().isOk().expectHeader().valueEquals(RequestIdFilter.HEADER, "req-42")
                .expectBody(Quote.class).returnResult().getResponseBody();
        assertThat(q).isEqualTo(new Quote("apple", 500, Math.floorMod("apple".hashCode(), 50), true));
        assertThat(output.getOut().lines().filter(l -> l.contains("quote for apple: asking")))
                .as("the fiber's log line, with the MDC restored from the Reactor context")
                .anySatisfy(l -> assertThat(l).contains("[req-42]"));
    }

    @Test
    void manyQuotesWaitAtOnceWithoutHoldingEventLoops() {
        int n = 24;
        GatedServices gated = (GatedServices) services;
        WebClient web = WebClient.create("http://localhost:" + port);
        var all = Flux.range(0, n).flatMap(i -> web.get().uri("/quote/gated-" + i).retrieve().bodyToMono(Quote.class), n)
                .collectList().toFuture();
        // Every handler is parked in Fiber.await at once: more than the server has event loops.
        awaitCondition(n + " calls in flight", () -> services.inFlight() == n);
        assertThat(n).isGreaterThan(LoopResources.DEFAULT_IO_WORKER_COUNT);
        client.get().uri("/quote/pear").exchange().expectStatus().isOk(); // and the server still answers
        gated.gate.tryEmitEmpty();
        List<Quote> quotes = all.join();
        assertThat(quotes).hasSize(n).allSatisfy(q -> assertThat(q.virtualThread()).isTrue());
    }

    @Test
    void aBurstOfJobsIsHeldBackUntilTheWorkerMakesRoom() {
        int startedBefore = gatedJobs.started.get();
        long processedBefore = jobs.processed();
        // one job runs (and waits for its permit), four wait in the queue: all accepted
        for (int i = 0; i < 5; i++) {
            postJob("job-" + i).expectStatus().isAccepted();
            if (i == 0) {
                awaitCondition("the worker took the first job", () -> gatedJobs.started.get() == startedBefore + 1);
            }
        }
        // the queue is full: a request waits (its 503 after the admission timeout is
        // SpringTimeoutsSimTest's, under a virtual clock); it gets in when the worker makes room
        var waiting = WebClient.create("http://localhost:" + port).post().uri("/jobs").bodyValue("waits")
                .retrieve().toBodilessEntity().toFuture();
        gatedJobs.permits.write("go");
        assertThat(waiting.join().getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        for (int i = 0; i < 5; i++) {
            gatedJobs.permits.write("go");
        }
        // six permits in all: the five accepted jobs of the burst and the one that waited
        awaitCondition("the queued jobs ran", () -> jobs.processed() == processedBefore + 6);
        assertThat(gatedJobs.started.get()).isEqualTo(startedBefore + 6);
    }

    @Test
    void theLibrarysMetersAreUnderActuatorMetrics() {
        client.get().uri("/quote/kiwi").exchange().expectStatus().isOk();
        client.get().uri("/actuator/metrics").exchange().expectStatus().isOk().expectBody(String.class)
                .value(body -> assertThat(body).contains("qfiber.fibers.started", "qfiber.channel.size",
                        "qfiber.fibers.alive", "qfiber.tcp.connections.open"));
        client.get().uri("/actuator/metrics/qfiber.channel.capacity?tag=channel:jobs").exchange().expectStatus().isOk()
                .expectBody(String.class).value(body -> assertThat(body).contains("\"value\":4.0"));
        client.get().uri("/actuator/metrics/qfiber.fibers.started").exchange().expectStatus().isOk()
                .expectBody(String.class).value(body -> assertThat(body).contains("\"statistic\":\"COUNT\""));
    }

    private WebTestClient.ResponseSpec postJob(String body) {
        return client.post().uri("/jobs").bodyValue(body).exchange();
    }

    static void awaitCondition(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }
}
