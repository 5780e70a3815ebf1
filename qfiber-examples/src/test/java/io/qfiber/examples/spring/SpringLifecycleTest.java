package io.qfiber.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.internal.fiber.ThreadedFiberThread;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The example's context starts, and closing it ends every fiber it owns and their threads. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpringLifecycleTest {

    @Test
    void closingTheContextEndsEveryFiberAndLibraryThread() {
        ConfigurableApplicationContext ctx = SpringApplication.run(SpringExample.class,
                "--server.port=0", "--qfiber.example.tick-interval=10ms", "--qfiber.example.job-duration=10ms");
        EventFeed feed = ctx.getBean(EventFeed.class);
        JobQueue jobs = ctx.getBean(JobQueue.class);
        assertThat(feed.ticker().isAlive()).isTrue();
        assertThat(feed.ticker().isThreaded()).isTrue();
        assertThat(jobs.worker().isAlive()).isTrue();
        assertThat(feed.each().take(2).collectList().block(java.time.Duration.ofSeconds(10))).hasSize(2);

        ctx.close();

        assertThat(feed.ticker().isAlive()).as("ticker ended").isFalse();
        assertThat(jobs.worker().isAlive()).as("worker ended").isFalse();
        assertThat(feed.each().collectList().block(java.time.Duration.ofSeconds(10)))
                .as("the feed's stream gives what was left, then completes").hasSizeLessThanOrEqualTo(16);
        SpringExampleTest.awaitCondition("no threaded fiber thread left", () -> Thread.getAllStackTraces().keySet()
                .stream().noneMatch(t -> t instanceof ThreadedFiberThread && t.isAlive()));
    }
}
