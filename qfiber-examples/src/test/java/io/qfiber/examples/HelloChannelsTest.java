package io.qfiber.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HelloChannelsTest {
    @Test
    void printsTheGreetingsInOrderAndTheFluxResult() {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            HelloChannels.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        // without an SLF4J binding, the library's one INFO line (its threading mode) goes to stdout too
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.contains("QFiber runs in"))).containsExactly(
                "hello #1 from producer", "hello #2 from producer", "hello #3 from producer",
                "consumer saw 3 greetings", "[FIBERS, MEET, FLUX]");
    }
}
