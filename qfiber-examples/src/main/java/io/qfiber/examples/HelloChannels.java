package io.qfiber.examples;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import java.util.List;

/** The README's example: two fibers and a channel, then the same channel seen as a Flux. */
public final class HelloChannels {
    private HelloChannels() {}

    record Greeting(String who, int n) {}

    /**
     * Runs the example.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Channel<Greeting> greetings = Channel.create();              // buffered: capacity 1000

        Fiber<Void> producer = Fiber.start("producer", () -> {
            for (int i = 1; i <= 3; i++) {
                greetings.write(new Greeting("producer", i));       // parks the fiber while full
            }
            greetings.close();                                      // readers drain, then stop
        });

        Fiber<Integer> consumer = Fiber.builder().name("consumer").threaded().start(() -> {
            int seen = 0;
            for (Greeting g : greetings) {                          // blocks on its own thread
                System.out.println("hello #" + g.n() + " from " + g.who());
                seen++;
            }
            return seen;
        });

        producer.join();
        System.out.println("consumer saw " + consumer.join() + " greetings");

        Channel<String> words = Channel.unbounded();
        List.of("fibers", "meet", "flux").forEach(words::write);
        words.close();
        System.out.println(words.asFlux().map(String::toUpperCase).collectList().block());
    }
}
