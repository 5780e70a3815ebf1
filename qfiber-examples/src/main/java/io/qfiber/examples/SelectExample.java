package io.qfiber.examples;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import io.qfiber.Select;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * {@link Select} in three small programs: a dispatcher that serves two inputs and notices when
 * both go quiet, a producer that hands each job to whichever of two workers is free, and a fiber
 * that takes the first of a worker's result, a reactive reply and a deadline.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.SelectExample}.
 */
public final class SelectExample {
    /** An order. */
    record Order(int id) {}

    private SelectExample() {}

    /**
     * Runs the three programs and prints what they did.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Channel<Order> orders = Channel.create();
        Channel<Integer> cancels = Channel.create();
        Fiber<List<String>> dispatcher = Fiber.start("dispatcher", () -> dispatch(orders, cancels, Duration.ofMillis(50)));
        orders.write(new Order(1));
        cancels.write(1);
        orders.write(new Order(2));
        Fiber.sleep(Duration.ofMillis(120));
        orders.close();
        cancels.close();
        System.out.println("dispatcher: " + dispatcher.join());
        System.out.println("workers: " + spread(10));
        System.out.println("first: " + firstOf(Duration.ofMillis(10), Mono.delay(Duration.ofSeconds(5)).map(t -> "late reply")));
    }

    /**
     * Serves orders and cancellations as they come, in one loop, and logs "idle" whenever neither
     * arrives for {@code idle}; returns when both channels are closed and drained.
     *
     * @param orders  orders to serve
     * @param cancels order ids to cancel
     * @param idle    how long quiet counts as idle
     * @return what happened, in order
     */
    static List<String> dispatch(Channel<Order> orders, Channel<Integer> cancels, Duration idle) {
        List<String> log = new ArrayList<>();
        boolean ordersOpen = true;
        boolean cancelsOpen = true;
        while (ordersOpen || cancelsOpen) {
            Select<String> next = Select.<String>create().onTimeout(idle, () -> "idle");
            if (ordersOpen) {
                next.onRead(orders, order -> "order " + order.id());
            }
            if (cancelsOpen) {
                next.onRead(cancels, id -> "cancel " + id);
            }
            try {
                log.add(next.select());
            } catch (ChannelClosedException closed) { // a channel is closed and drained: stop reading it
                ordersOpen = ordersOpen && !(orders.isClosed() && orders.size() == 0);
                cancelsOpen = cancelsOpen && !(cancels.isClosed() && cancels.size() == 0);
            }
        }
        if (log.size() > 1 && log.get(log.size() - 1).equals("idle")) {
            log.remove(log.size() - 1); // the quiet spell while the channels were being closed
        }
        return log;
    }

    /**
     * Writes {@code jobs} jobs, each to whichever of two rendezvous workers takes it first, and
     * returns how many each took.
     *
     * @param jobs how many jobs
     * @return jobs taken by worker a, and by worker b
     */
    static List<Integer> spread(int jobs) {
        Channel<Integer> a = Channel.create(0);
        Channel<Integer> b = Channel.create(0);
        Fiber<Integer> workerA = Fiber.start("worker-a", () -> count(a));
        Fiber<Integer> workerB = Fiber.start("worker-b", () -> count(b));
        for (int job = 0; job < jobs; job++) {
            Select.<Void>create()
                    .onWrite(a, job, () -> null)   // fires only once worker a has taken the job
                    .onWrite(b, job, () -> null)
                    .select();
        }
        a.close();
        b.close();
        return List.of(workerA.join(), workerB.join());
    }

    private static int count(Channel<Integer> jobs) {
        int n = 0;
        for (int job : jobs) {
            n++;
        }
        return n;
    }

    /**
     * Starts a worker and waits for the first of: its result, a reactive reply, a deadline.
     *
     * @param work  how long the worker takes
     * @param reply a reply that may come first
     * @return which came first
     */
    static String firstOf(Duration work, Mono<String> reply) {
        Fiber<Integer> worker = Fiber.start("worker", () -> {
            Fiber.sleep(work);
            return 42;
        });
        return Select.<String>create()
                .onJoin(worker, result -> "worker: " + result)
                .onAwait(reply, r -> "reply: " + r)          // cancelled if another clause fires
                .onTimeout(Duration.ofSeconds(1), () -> "gave up")
                .select();
    }
}
