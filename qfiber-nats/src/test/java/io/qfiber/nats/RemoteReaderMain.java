package io.qfiber.nats;

import io.qfiber.Fiber;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reader process for the cross-process tests: {@code <url> <channel> read <fibers>} reads with
 * that many fibers until the channel is closed and drained, then prints
 * {@code done <count> <sum>}; {@code <url> <channel> hold <n>} receives n values without acking
 * them, prints {@code held <values…>} and waits to be killed.
 */
public final class RemoteReaderMain {
    private RemoteReaderMain() {}

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String name = args[1];
        String mode = args[2];
        int n = Integer.parseInt(args[3]);
        NatsChannels nats = NatsChannels.connect(url);
        RemoteChannel<String> ch = nats.channel(name, Codec.utf8()).capacity(Integer.parseInt(args[4]))
                .redeliverAfter(Duration.ofSeconds(Long.parseLong(args[5]))).open();
        System.out.println("ready");
        System.out.flush();
        if (mode.equals("hold")) {
            StringBuilder held = new StringBuilder("held");
            for (int i = 0; i < n; i++) {
                held.append(' ').append(ch.receive().value());
            }
            System.out.println(held);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
        AtomicLong count = new AtomicLong();
        AtomicLong sum = new AtomicLong();
        List<Fiber<Void>> readers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            readers.add(Fiber.start("reader-" + i, () -> {
                for (String v : ch) {
                    count.incrementAndGet();
                    sum.addAndGet(Long.parseLong(v));
                }
            }));
        }
        for (Fiber<Void> r : readers) {
            r.join();
        }
        System.out.println("done " + count.get() + " " + sum.get());
        System.out.flush();
        nats.close();
    }
}
