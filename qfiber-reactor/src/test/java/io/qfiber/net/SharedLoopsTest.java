package io.qfiber.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoop;
import io.qfiber.Channel;
import io.qfiber.internal.fiber.NettyTransport;
import io.qfiber.internal.net.SocketLoops;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The library's shared event loops (the loops of sockets no threaded fiber carries): with native
 * epoll they are driven by virtual threads, which park when idle and must still run tasks queued
 * from other threads, scheduled tasks at their deadlines, and refuse blocking calls.
 */
@Timeout(60)
class SharedLoopsTest {
    private static EventLoop sharedLoop() {
        // From a thread that is no carrier, the caller group hands out a shared loop.
        return SocketLoops.get().onClient(NettyTransport.isNative()).next();
    }

    @Test
    void withNativeEpollASharedLoopRunsOnAVirtualThread() throws Exception {
        boolean virtual = sharedLoop().submit(() -> Thread.currentThread().isVirtual()).get(10, TimeUnit.SECONDS);
        assertThat(virtual).as("shared loop on a virtual thread").isEqualTo(NettyTransport.isNative());
    }

    @Test
    void tasksFromOtherThreadsAndScheduledTasksRunWhileTheLoopsIdle() throws Exception {
        EventLoop loop = sharedLoop();
        int rounds = 200;
        AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < rounds; i++) {
            // Each round lets the loop go idle (and park) first, then wakes it from here.
            Thread.sleep(i % 20 == 0 ? 5 : 0);
            CountDownLatch done = new CountDownLatch(2);
            loop.execute(() -> {
                ran.incrementAndGet();
                done.countDown();
            });
            long t0 = System.nanoTime();
            loop.schedule(() -> {
                if (System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(2)) {
                    ran.incrementAndGet();
                }
                done.countDown();
            }, 2, TimeUnit.MILLISECONDS);
            assertThat(done.await(10, TimeUnit.SECONDS)).as("round %d ran", i).isTrue();
        }
        assertThat(ran.get()).as("tasks run, scheduled ones not before their delay").isEqualTo(2 * rounds);
    }

    @Test
    void aBlockingCallOnASharedLoopIsRefused() {
        Channel<Integer> empty = Channel.create(1);
        assertThatThrownBy(() -> sharedLoop().submit((java.util.concurrent.Callable<Integer>) empty::read).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("would block");
    }
}
