package io.qfiber.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.test.SimContext;
import io.qfiber.test.SimTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/**
 * The example's timeouts under a virtual clock: the quote budget, the admission timeout, the
 * feed's ticks and the shutdown grace, each checked to the nanosecond without waiting for it, so
 * they cannot flake on a loaded machine. The controllers run as they do in the server, through
 * {@code Fiber.mono} and Reactor's {@code timeout}; only HTTP is left out (the server-level tests
 * are {@link SpringExampleTest}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpringTimeoutsSimTest {
    private static final Duration LATENCY = Duration.ofMillis(100);

    @SimTest
    void aQuoteAsksBothServicesOneAfterTheOther(SimContext ctx) {
        SlowServices services = new SlowServices(LATENCY);
        QuoteController quotes = new QuoteController(services, null, Duration.ofSeconds(1));
        ResponseEntity<Quote> answer = Fiber.await(quotes.quote("apple"));
        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.OK);
        assertThat(answer.getBody()).isEqualTo(new Quote("apple", 500, Math.floorMod("apple".hashCode(), 50), true));
        assertThat(ctx.elapsed()).isEqualTo(LATENCY.multipliedBy(2));
    }

    @SimTest
    void aQuoteOverBudgetIs504AtExactlyTheBudgetAndCancelsTheServiceCall(SimContext ctx) {
        SlowServices services = new SlowServices(LATENCY);
        Duration budget = Duration.ofMinutes(1); // a minute of virtual time costs nothing
        QuoteController quotes = new QuoteController(services, null, budget);
        ResponseEntity<Quote> answer = Fiber.await(quotes.quote("unobtainium"));
        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
        assertThat(ctx.elapsed()).isEqualTo(budget);
        ctx.settle();
        assertThat(services.inFlight()).as("the abandoned call was cancelled").isZero();
    }

    @SimTest
    void aQuoteJustInsideTheBudgetIsAnswered(SimContext ctx) {
        QuoteController quotes = new QuoteController(new SlowServices(LATENCY), null, LATENCY.multipliedBy(2).plusNanos(1));
        assertThat(Fiber.await(quotes.quote("pear")).getStatusCode()).isEqualTo(HttpStatus.OK);
        QuoteController tight = new QuoteController(new SlowServices(LATENCY), null, LATENCY.multipliedBy(2).minusNanos(1));
        assertThat(Fiber.await(tight.quote("pear")).getStatusCode()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
        assertThat(ctx.elapsed()).isEqualTo(LATENCY.multipliedBy(4).minusNanos(1));
    }

    @SimTest
    void aFullQueueHoldsARequestForTheAdmissionTimeoutThenRefusesIt(SimContext ctx) {
        Channel<String> permits = Channel.unbounded();
        JobQueue queue = new JobQueue(job -> permits.read(), 4, Duration.ofSeconds(2));
        Duration admission = Duration.ofMillis(300);
        JobController jobs = new JobController(queue, admission);
        for (int i = 0; i < 5; i++) { // one runs (waiting for its permit), four wait in the queue
            assertThat(Fiber.await(jobs.submit("job-" + i)).getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
            ctx.settle();
        }
        assertThat(ctx.elapsed()).isZero();
        assertThat(Fiber.await(jobs.submit("refused")).getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(ctx.elapsed()).isEqualTo(admission);

        // a request that waits gets in when the worker makes room, within its admission time
        Fiber<ResponseEntity<String>> waiting = Fiber.start("waiting request", () -> Fiber.await(jobs.submit("waits")));
        ctx.sleep(Duration.ofMillis(100));
        assertThat(waiting.isAlive()).isTrue();
        permits.write("go");
        assertThat(waiting.join().getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        assertThat(ctx.elapsed()).isEqualTo(admission.plusMillis(100));
        for (int i = 0; i < 5; i++) {
            permits.write("go");
        }
        ctx.settle();
        assertThat(queue.processed()).isEqualTo(6);

        // close: the queue is empty, the worker ends at once
        queue.close();
        assertThat(queue.worker().isAlive()).isFalse();
        assertThat(ctx.elapsed()).isEqualTo(admission.plusMillis(100));
    }

    @SimTest
    void closeGivesQueuedJobsTheGracePeriodThenCancelsTheWorker(SimContext ctx) {
        Channel<String> permits = Channel.unbounded();
        Duration grace = Duration.ofSeconds(2);
        JobQueue queue = new JobQueue(job -> permits.read(), 8, grace);
        assertThat(queue.submit(new Job("r1", "stuck"), Duration.ZERO)).isTrue();
        assertThat(queue.submit(new Job("r2", "never started"), Duration.ZERO)).isTrue();
        ctx.settle();
        queue.close(); // the first job never gets its permit
        assertThat(ctx.elapsed()).isEqualTo(grace);
        assertThat(queue.worker().isAlive()).isFalse();
        assertThat(queue.processed()).isZero();
    }

    @SimTest
    void theFeedTicksOncePerIntervalToTheNanosecond(SimContext ctx) {
        try (EventFeed feed = new EventFeed(Duration.ofSeconds(1))) {
            List<Long> seqs = Fiber.await(feed.each().take(5).map(Event::seq).collectList());
            assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(ctx.elapsed()).isEqualTo(Duration.ofSeconds(5));
        }
    }
}
