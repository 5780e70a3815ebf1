package io.qfiber.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfiber.Channel;
import io.qfiber.Fiber;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StructuredExampleTest {

    @Test
    void bothAnswersMakeAQuote() {
        Channel<Integer> prices = Channel.create();
        Channel<Integer> stocks = Channel.create();
        prices.write(250);
        stocks.write(12);
        assertThat(StructuredExample.quote(prices, stocks)).isEqualTo(new StructuredExample.Quote(250, 12));
    }

    @Test
    void aFailingSourceCancelsTheOtherAndIsThrown() {
        Channel<Integer> prices = Channel.create();
        Channel<Integer> stocks = Channel.create(); // never answers: its reader must be cancelled
        prices.close(new IOException("price service down"));
        Fiber<Object> caller = Fiber.start("caller", () -> StructuredExample.quote(prices, stocks));
        assertThatThrownBy(caller::join).isInstanceOf(CompletionException.class)
                .rootCause().isInstanceOf(IOException.class).hasMessage("price service down");
        assertThat(stocks.tryWrite(1)).as("nothing was taken from the other source").isTrue();
        assertThat(stocks.size()).isEqualTo(1);
    }

    @Test
    void mainRuns() {
        StructuredExample.main(new String[0]);
    }
}
