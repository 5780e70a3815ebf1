package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.internal.net.NettyConnection;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The end-of-class check of every test class, registered once for all through JUnit's extension
 * auto-detection ({@code META-INF/services}): after a class, every fiber it started has ended, no
 * threaded fiber's thread is alive, every bridged connection is closed, and Netty reported no
 * leaked buffer. Each waits a little for what is still winding down, then fails naming what is
 * left.
 */
public final class NoLeftovers implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        String where = context.getRequiredTestClass().getSimpleName();
        try {
            TestSupport.awaitCondition("fibers of " + where + " to end", Duration.ofSeconds(10), Fiber.LIVE::isEmpty);
        } catch (AssertionError left) {
            throw new AssertionError("fibers still alive after " + where + ": "
                    + Fiber.LIVE.stream().map(Fiber::name).collect(Collectors.joining(", ")) + "\n"
                    + FiberDump.render(true), left);
        }
        TestSupport.assertNoFiberThreadsLeft();
        TestSupport.awaitCondition("connections of " + where + " to close", () -> NettyConnection.openConnections() == 0);
        assertThat(NettyLeakRecorder.leaksAfterGc()).as("Netty leak reports after " + where).isEmpty();
    }
}
