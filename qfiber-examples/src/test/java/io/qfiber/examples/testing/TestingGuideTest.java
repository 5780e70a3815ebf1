package io.qfiber.examples.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;
import io.qfiber.Select;
import io.qfiber.test.Schedule;
import io.qfiber.test.SimContext;
import io.qfiber.test.SimTest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/** The examples of docs/testing.md, as they are printed there. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TestingGuideTest {

    @SimTest
    void theLateWriteArrivesAfterTheTimeout(SimContext ctx) {
        Channel<String> ch = Channel.create(0);
        Fiber.start("late writer", () -> {
            Fiber.sleep(Duration.ofSeconds(6));
            ch.write("late");
        });
        String got = Select.<String>create()
                .onRead(ch, v -> v)
                .onTimeout(Duration.ofSeconds(5), () -> "timeout")
                .select();
        assertEquals("timeout", got);
        assertEquals(Duration.ofSeconds(5), ctx.elapsed());   // exactly
        assertEquals("late", ch.read());
        assertEquals(Duration.ofSeconds(6), ctx.elapsed());
    }

    @SimTest(schedule = Schedule.RANDOM, iterations = 200)
    void aCounterOwnedByOneFiberNeverLosesAnUpdate(SimContext ctx) {
        Channel<Integer> increments = Channel.create(4);
        int[] counter = {0};
        Fiber<Void> owner = Fiber.start("owner", () -> increments.forEach(n -> counter[0] += n));
        try (FiberScope clients = FiberScope.open("clients")) {
            for (int c = 0; c < 5; c++) {
                clients.fork("client-" + c, () -> {
                    for (int i = 0; i < 10; i++) {
                        Thread.yield();               // a switch point: the schedule picks who runs
                        increments.write(1);
                    }
                });
            }
            clients.join();
        }
        increments.close();
        owner.join();
        assertEquals(50, counter[0]);
    }
}
