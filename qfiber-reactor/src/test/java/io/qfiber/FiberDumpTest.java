package io.qfiber;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfiber.FiberDump.FiberInfo;
import io.qfiber.FiberDump.State;
import io.qfiber.net.TcpServer;
import io.qfiber.net.TcpSocket;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/** The fiber dump names what every blocked fiber waits on, and is reachable through JMX. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FiberDumpTest {
    private final List<Fiber<?>> started = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();


    @AfterEach
    void cleanUp() throws Exception {
        started.forEach(Fiber::cancel);
        for (Fiber<?> f : started) {
            f.join(Duration.ofSeconds(10));
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private <T> Fiber<T> blocked(String name, java.util.concurrent.Callable<T> body) {
        Fiber<T> f = Fiber.start(name, body);
        started.add(f);
        return f;
    }

    private static FiberInfo find(String name) {
        List<FiberInfo> all = FiberDump.snapshot(false);
        return all.stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in the dump: " + all));
    }

    private static FiberInfo awaitBlocked(String name) {
        TestSupport.awaitCondition(name + " blocked in the dump", () -> FiberDump.snapshot(false).stream()
                .anyMatch(i -> i.name().equals(name) && i.state() == State.BLOCKED));
        return find(name);
    }

    @Test
    void everyKindOfWaitIsNamed() throws Exception {
        Channel<String> orders = Channel.<String>builder().name("orders").build();
        Channel<String> jobs = Channel.<String>builder().name("jobs").capacity(1).build();
        jobs.write("filler");
        Channel<String> handOff = Channel.<String>builder().name("hand-off").capacity(0).build();
        blocked("reader", orders::read);
        blocked("writer", () -> {
            jobs.write("more");
            return null;
        });
        blocked("rendezvous-writer", () -> {
            handOff.write("x");
            return null;
        });
        Fiber<String> target = blocked("target", orders::read);
        blocked("joiner", target::join);
        blocked("awaiter", () -> Fiber.await(Mono.never()));
        blocked("sleeper", () -> {
            Fiber.sleep(Duration.ofHours(1));
            return null;
        });
        blocked("selector", () -> Select.<String>create().onRead(orders, v -> v).onWrite(jobs, "s", () -> "w").select());
        TcpServer server = TcpServer.listen("127.0.0.1", 0);
        resources.add(server);
        blocked("listener", server::takeNext);
        TcpServer echo = TcpServer.listen("127.0.0.1", 0);
        resources.add(echo);
        TcpSocket client = TcpSocket.connect("127.0.0.1", echo.port(), Duration.ofSeconds(10));
        resources.add(client);
        blocked("receiver", () -> client.recv(new byte[16]));

        assertThat(awaitBlocked("reader").waitingOn()).isEqualTo("read of channel 'orders' (0/1000)");
        assertThat(awaitBlocked("writer").waitingOn()).isEqualTo("write to channel 'jobs' (1/1)");
        assertThat(awaitBlocked("rendezvous-writer").waitingOn()).isEqualTo("write to rendezvous channel 'hand-off'");
        assertThat(awaitBlocked("joiner").waitingOn()).isEqualTo("join of fiber 'target'");
        assertThat(awaitBlocked("awaiter").waitingOn()).startsWith("await of Mono");
        assertThat(awaitBlocked("sleeper").waitingOn()).startsWith("sleep (gives up in 3");
        assertThat(awaitBlocked("selector").waitingOn())
                .isEqualTo("select over 2 clauses: read of channel 'orders', write to channel 'jobs'");
        assertThat(awaitBlocked("listener").waitingOn()).isEqualTo("takeNext on port " + server.port());
        assertThat(awaitBlocked("receiver").waitingOn()).isEqualTo("recv on socket to " + client.peerAddress());
        assertThat(find("reader").waitingFor()).isNotNull();
        assertThat(find("reader").threaded()).isFalse();
    }

    @Test
    void scopesThreadedFibersAndRunningFibers() {
        AtomicBoolean spin = new AtomicBoolean(true);
        Channel<String> never = Channel.<String>builder().name("never").build();
        Fiber<Void> owner = Fiber.start("scope-owner", () -> {
            try (FiberScope scope = FiberScope.open("workers")) {
                scope.fork("worker-1", () -> never.read());
                scope.fork("worker-2", () -> never.read());
                scope.join();
            }
        });
        started.add(owner);
        Fiber<String> threaded = Fiber.builder().name("threaded-reader").threaded().start(() -> never.read());
        started.add(threaded);
        Fiber<Void> busy = Fiber.start("busy", () -> {
            while (spin.get()) {
                Thread.onSpinWait();
            }
        });
        try {
            assertThat(awaitBlocked("scope-owner").waitingOn()).isEqualTo("join of scope 'workers' (2 running)");
            assertThat(awaitBlocked("worker-1").scope()).isEqualTo("workers");
            FiberInfo t = awaitBlocked("threaded-reader");
            assertThat(t.threaded()).isTrue();
            assertThat(t.waitingOn()).isEqualTo("read of channel 'never' (0/1000)");
            FiberInfo b = find("busy");
            assertThat(b.state()).isEqualTo(State.RUNNING);
            assertThat(b.waitingOn()).isNull();

            String text = FiberDump.render(false);
            assertThat(text).startsWith("QFiber fiber dump at ")
                    .contains("read of channel 'never' (0/1000): 3 fibers")
                    .contains("  \"worker-1\" blocked ")
                    .contains("scope 'workers'")
                    .contains("running: ");
            assertThat(FiberDump.render(true)).contains("at " + io.qfiber.internal.channel.AbstractChannel.class.getName() + ".take");
        } finally {
            spin.set(false);
            busy.join();
        }
    }

    @Test
    void endedFibersLeaveTheDump() {
        Fiber<Integer> f = Fiber.start("short-lived", () -> 1);
        f.join();
        assertThat(FiberDump.snapshot(false)).noneMatch(i -> i.name().equals("short-lived"));
    }

    @Test
    void theDumpIsAJmxOperation() throws Exception {
        Channel<String> never = Channel.<String>builder().name("jmx-visible").build();
        blocked("jmx-reader", never::read);
        awaitBlocked("jmx-reader");
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.qfiber:type=FiberDump");
        TestSupport.awaitCondition("the MBean registered", () -> server.isRegistered(name));
        String dump = (String) server.invoke(name, "dump", new Object[0], new String[0]);
        assertThat(dump).contains("read of channel 'jmx-visible' (0/1000): 1 fiber").contains("\"jmx-reader\"");
        assertThat((Integer) server.getAttribute(name, "LiveFibers")).isPositive();
        String withStacks = (String) server.invoke(name, "dumpWithStacks", new Object[0], new String[0]);
        assertThat(withStacks).contains("      at ");
    }
}
