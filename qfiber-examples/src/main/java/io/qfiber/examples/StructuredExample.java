package io.qfiber.examples;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import io.qfiber.FiberScope;

/**
 * {@link FiberScope} in one method: two children ask two sources at once, the owner waits for
 * both, and if one fails the other is cancelled and the failure is thrown.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec -Dexec.mainClass=io.qfiber.examples.StructuredExample}.
 */
public final class StructuredExample {
    /** A quote made of two answers. */
    record Quote(int price, int stock) {}

    private StructuredExample() {}

    /**
     * Prints a quote from two sources that answer at once.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        Channel<Integer> prices = Channel.create();
        Channel<Integer> stocks = Channel.create();
        prices.write(250);
        stocks.write(12);
        System.out.println(quote(prices, stocks));
    }

    /**
     * Reads a price and a stock count concurrently, in two children of one scope.
     *
     * @param prices where the price comes from
     * @param stocks where the stock count comes from
     * @return the quote
     * @throws java.util.concurrent.CompletionException if a read failed (the other was cancelled)
     */
    static Quote quote(Channel<Integer> prices, Channel<Integer> stocks) {
        try (FiberScope scope = FiberScope.open("quote")) {
            Fiber<Integer> price = scope.fork("price", () -> prices.read());
            Fiber<Integer> stock = scope.fork("stock", () -> stocks.read());
            scope.join();                       // both ended; throws if one failed
            return new Quote(price.join(), stock.join());
        }                                       // close(): cancels and waits for what still runs
    }
}
