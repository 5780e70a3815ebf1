package io.qfiber.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SelectExampleTest {

    @Test
    void theDispatcherServesBothInputsInOrderAndNoticesQuiet() {
        Channel<SelectExample.Order> orders = Channel.create();
        Channel<Integer> cancels = Channel.create();
        Fiber<List<String>> d = Fiber.start("dispatcher", () -> SelectExample.dispatch(orders, cancels, Duration.ofMillis(30)));
        orders.write(new SelectExample.Order(1));
        TestWait.until(() -> orders.size() == 0);
        cancels.write(1);
        TestWait.until(() -> cancels.size() == 0);
        Fiber.sleep(Duration.ofMillis(100)); // quiet: the dispatcher reports idle
        orders.write(new SelectExample.Order(2));
        TestWait.until(() -> orders.size() == 0);
        orders.close();
        cancels.close();
        List<String> log = d.join();
        assertThat(log).startsWith("order 1", "cancel 1").contains("idle").endsWith("order 2");
    }

    @Test
    void everyJobGoesToExactlyOneWorker() {
        List<Integer> taken = SelectExample.spread(1_000);
        assertThat(taken.get(0) + taken.get(1)).isEqualTo(1_000);
    }

    @Test
    void theFirstOfThreeWins() {
        assertThat(SelectExample.firstOf(Duration.ofMillis(1), Mono.never())).isEqualTo("worker: 42");
        assertThat(SelectExample.firstOf(Duration.ofSeconds(10), Mono.just("fast"))).isEqualTo("reply: fast");
        assertThat(SelectExample.firstOf(Duration.ofSeconds(10), Mono.never())).isEqualTo("gave up");
    }

    @Test
    void mainRuns() {
        SelectExample.main(new String[0]);
    }

    /** Polls a condition with short parks, failing after 10 s. */
    static final class TestWait {
        static void until(java.util.function.BooleanSupplier c) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!c.getAsBoolean()) {
                assertThat(System.nanoTime() - deadline).as("condition in time").isNegative();
                java.util.concurrent.locks.LockSupport.parkNanos(500_000);
            }
        }
    }
}
