package io.qfiber.fray;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Overflow;
import io.qfiber.Select;
import java.time.Duration;
import java.util.concurrent.CancellationException;

/**
 * Runs every path of the scenarios once on one thread, so that the classes they touch are
 * initialized before Fray controls several threads: two controlled threads entering the same class
 * initializer would be reported as a deadlock that no program run can have.
 */
final class FrayWarmUp {
    private FrayWarmUp() {
    }

    static void run() {
        for (Channel<Integer> ch : new Channel[] {
                Channel.create(0), Channel.create(1), Channel.create(16), Channel.unbounded(),
                Channel.<Integer>builder().capacity(1).overflow(Overflow.DROP_OLDEST).build(),
                new io.qfiber.internal.channel.BufferedChannel<>("tiny segments", 2, Overflow.BLOCK, null, 2)}) {
            ch.tryWrite(1);
            ch.tryRead();
            if (ch.capacity() != 0) {
                ch.write(2);
                ch.read();
                ch.write(3, Duration.ofMillis(1));
            }
            ch.read(Duration.ofNanos(1));
            Select.<Integer>create().onRead(ch, v -> v).onTimeout(Duration.ofNanos(1), () -> 0).select();
            Select.<Integer>create().onWrite(ch, 4, () -> 1).onTimeout(Duration.ofNanos(1), () -> 0).select();
            Thread.currentThread().interrupt();
            try {
                ch.read();
            } catch (CancellationException expected) {
                Thread.interrupted();
            }
            ch.close();
            for (Integer ignored : (Iterable<Integer>) ch::iterator) {
                // drain
            }
            try {
                ch.tryWrite(5);
            } catch (ChannelClosedException expected) {
                // closed
            }
            try {
                Select.<Integer>create().onRead(ch, v -> v).select();
            } catch (ChannelClosedException expected) {
                // closed
            }
        }
    }
}
