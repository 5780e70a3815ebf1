package io.qfiber.fray;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Overflow;
import io.qfiber.Select;
import io.qfiber.internal.channel.BufferedChannel;
import io.qfiber.internal.observe.ChannelStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.FrayTest;

/**
 * Controlled concurrency testing with Fray: each test starts a few platform threads on one channel
 * (or on a {@link Select} over two) and Fray runs it again and again, choosing at every shared
 * memory access, park and unpark which thread goes next (partial order sampling, Fray's default).
 * A run fails on a broken assertion, an unexpected exception in any thread, or a deadlock: every
 * thread parked with nobody left to wake them, which is how a lost wake-up shows.
 *
 * <p>Not PCT: the channels wait for another thread in a few short spins (a fresh queue's first
 * segment, a rendezvous offer a reader has claimed), and PCT, which always runs the
 * highest-priority thread, runs such a spinner forever when the thread it waits for has a lower
 * priority. On a real machine the spin lasts a few instructions of the other thread.
 *
 * <p>What each test checks, for every kind of channel it names: values sent by writers whose call
 * returned reach exactly one reader (count and sum); a try-call on a closed channel throws and a
 * rendezvous {@code tryWrite} never fails while a reader waits; a reader cancelled by an interrupt
 * takes nothing (the value stays for the next reader); a close wakes every blocked call; and a
 * select fires exactly one clause, taking or handing over exactly one value; and on a
 * {@code DROP_OLDEST} channel every accepted value is read or dropped exactly once, close or not.
 *
 * <p>The scenarios are small on purpose: two or three threads, a handful of values. Fray finds
 * bugs in small scenarios quickly and cannot explore big ones. The iteration counts were chosen
 * so that the two races found earlier by Fray (a value enqueued while a fresh queue's head was
 * still unpublished, and a rendezvous {@code tryWrite} racing {@code close}) are found again when
 * their fixes are reverted (see {@code src/test/fray/README.md}).
 */
@ExtendWith(FrayTestExtension.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES) // for all the schedules of one test together
class ChannelFrayTest {
    private static final int ITERATIONS = 1000;

    static {
        // Initialize every class the scenarios touch before Fray controls the threads: a class
        // initializer that two controlled threads raced into would be reported as a deadlock.
        FrayWarmUp.run();
    }

    // ---- exactly once: writers and readers ----

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void unboundedTwoWritersTwoReaders() throws InterruptedException {
        exchange(Channel.<Integer>unbounded(), 2, 2, 1);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void bufferedTwoWritersTwoReaders() throws InterruptedException {
        exchange(Channel.<Integer>create(16), 2, 2, 1);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void capacityOneTwoWritersTwoReaders() throws InterruptedException {
        exchange(Channel.<Integer>create(1), 2, 2, 2);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void rendezvousTwoWritersTwoReaders() throws InterruptedException {
        exchange(Channel.<Integer>create(0), 2, 2, 1);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void rendezvousThreeWritersThreeReaders() throws InterruptedException {
        exchange(Channel.<Integer>create(0), 3, 3, 1);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void bufferedThreeWritersThreeReaders() throws InterruptedException {
        exchange(Channel.<Integer>create(16), 3, 3, 1);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void bufferedWithSegmentsOfTwoCellsThreeWritersThreeReaders() throws InterruptedException {
        // Segments of two cells: every few values a writer or reader moves to the next segment,
        // creating it if it is first there.
        exchange(new BufferedChannel<>("tiny segments", 2, Overflow.BLOCK, null, 2), 3, 3, 2);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void unboundedWritersRacingToParkedReaders() throws InterruptedException {
        writersRaceToParkedReaders(Channel.unbounded());
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void bufferedWritersRacingToParkedReaders() throws InterruptedException {
        writersRaceToParkedReaders(Channel.create(16));
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void rendezvousWritersRacingToParkedReaders() throws InterruptedException {
        writersRaceToParkedReaders(Channel.create(0));
    }

    /**
     * Two readers park on a fresh channel first, then two writers race to it: each reader must be
     * woken for a value (the shape of a lost wake-up: a value that a woken reader cannot see yet,
     * so it parks again, and one wake-up left to serve two values).
     */
    private static void writersRaceToParkedReaders(Channel<Integer> ch) throws InterruptedException {
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        List<Thread> readers = List.of(new Thread(() -> got.add(ch.read())), new Thread(() -> got.add(ch.read())));
        readers.forEach(Thread::start);
        while (((ChannelStats) ch).readersWaiting() < 2) {
            Thread.yield();
        }
        runAll(List.of(new Thread(() -> ch.write(1)), new Thread(() -> ch.write(2))));
        for (Thread r : readers) {
            r.join();
        }
        check(got.size() == 2 && got.contains(1) && got.contains(2), "readers got " + got);
    }

    /**
     * {@code writers} threads write {@code perThread} values each, {@code readers} threads read as
     * many each: every value is read exactly once, and nobody is left blocked.
     */
    private static void exchange(Channel<Integer> ch, int writers, int readers, int perThread)
            throws InterruptedException {
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int base = w * 100;
            threads.add(new Thread(() -> {
                for (int i = 1; i <= perThread; i++) {
                    ch.write(base + i);
                }
            }));
        }
        for (int r = 0; r < readers; r++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    got.add(ch.read());
                }
            }));
        }
        runAll(threads);
        check(got.size() == writers * perThread, "values read: " + got);
        long expected = 0;
        for (int w = 0; w < writers; w++) {
            for (int i = 1; i <= perThread; i++) {
                expected += w * 100 + i;
            }
        }
        check(got.stream().mapToLong(Integer::longValue).sum() == expected, "sum of " + got);
        check(got.stream().distinct().count() == got.size(), "a value read twice: " + got);
        check(ch.tryRead().isEmpty(), "a value left over");
    }

    // ---- close ----

    @FrayTest(iterations = 3 * ITERATIONS, resetClassLoaderPerIteration = false)
    void rendezvousTryWriteRacingCloseWhileAReaderWaits() throws InterruptedException {
        Channel<Integer> ch = Channel.create(0);
        AtomicReference<Object> readerGot = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                readerGot.set(ch.read());
            } catch (ChannelClosedException closed) {
                readerGot.set(closed);
            }
        });
        reader.start();
        awaitReaderParked(ch);
        AtomicReference<Object> tryWriteResult = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                tryWriteResult.set(ch.tryWrite(7));
            } catch (ChannelClosedException closed) {
                tryWriteResult.set(closed);
            }
        });
        Thread closer = new Thread(ch::close);
        runAll(List.of(writer, closer));
        reader.join();
        // A reader was waiting: the value is handed over, or the channel was closed first.
        if (Boolean.TRUE.equals(tryWriteResult.get())) {
            check(Integer.valueOf(7).equals(readerGot.get()), "tryWrite true but the reader got " + readerGot.get());
        } else {
            check(tryWriteResult.get() instanceof ChannelClosedException,
                    "tryWrite returned " + tryWriteResult.get() + " while a reader waited; the reader got "
                            + readerGot.get());
            check(readerGot.get() instanceof ChannelClosedException, "reader got " + readerGot.get());
        }
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void closeWhileWritersAndReadersBlockDeliversWhatWasAcceptedOnce() throws InterruptedException {
        for (int capacity : new int[] {0, 1}) {
            Channel<Integer> ch = Channel.create(capacity);
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger acceptedSum = new AtomicInteger();
            ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int w = 1; w <= 2; w++) {
                int v = w;
                threads.add(new Thread(() -> {
                    try {
                        ch.write(v);
                        accepted.incrementAndGet();
                        acceptedSum.addAndGet(v);
                    } catch (ChannelClosedException refused) {
                        // not accepted
                    }
                }));
            }
            threads.add(new Thread(() -> {
                for (Integer v : (Iterable<Integer>) ch::iterator) {
                    got.add(v);
                }
            }));
            threads.add(new Thread(ch::close));
            runAll(threads);
            // A value whose write returned was read; a refused one was not.
            check(got.size() == accepted.get(), "read " + got + ", accepted " + accepted.get());
            check(got.stream().mapToInt(Integer::intValue).sum() == acceptedSum.get(), "sum of " + got);
            checkThrows(() -> ch.tryWrite(9), "tryWrite after close");
        }
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void closeRacingCloseAndTryWrite() throws InterruptedException {
        Channel<Integer> ch = Channel.create(2);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                result.set(ch.tryWrite(1));
            } catch (ChannelClosedException closed) {
                result.set(closed);
            }
        });
        runAll(List.of(writer, new Thread(ch::close), new Thread(ch::close)));
        // Both closes have returned: writes are refused, and an accepted value is still readable.
        checkThrows(() -> ch.tryWrite(2), "tryWrite after both closes");
        Optional<Integer> left = ch.tryRead();
        if (Boolean.TRUE.equals(result.get())) {
            check(left.equals(Optional.of(1)), "accepted value lost: " + left);
        } else {
            check(result.get() instanceof ChannelClosedException, "tryWrite on a channel with room: " + result.get());
            check(left.isEmpty(), "refused value read: " + left);
        }
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void dropOldestWritersReaderAndCloseAccountForEveryValueOnce() throws InterruptedException {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        Channel<Integer> ch = Channel.<Integer>builder().capacity(1).overflow(Overflow.DROP_OLDEST)
                .onDrop(dropped::add).build();
        ConcurrentLinkedQueue<Integer> accepted = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 1; w <= 2; w++) {
            int base = w * 10;
            threads.add(new Thread(() -> {
                for (int v = base + 1; v <= base + 2; v++) {
                    try {
                        check(ch.tryWrite(v), "a DROP_OLDEST tryWrite returned false");
                        accepted.add(v);
                    } catch (ChannelClosedException refused) {
                        return;
                    }
                }
            }));
        }
        threads.add(new Thread(() -> drain(ch, got)));
        threads.add(new Thread(ch::close));
        runAll(threads);
        // Every accepted value was read or dropped, exactly once; a refused one neither.
        List<Integer> out = new ArrayList<>(got);
        out.addAll(dropped);
        out.sort(null);
        List<Integer> in = new ArrayList<>(accepted);
        in.sort(null);
        check(out.equals(in), "accepted " + in + ", read " + got + ", dropped " + dropped);
    }

    // ---- cancellation ----

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void interruptedReaderTakesNothing() throws InterruptedException {
        for (int capacity : new int[] {0, 1}) {
            Channel<Integer> ch = Channel.create(capacity);
            AtomicReference<Object> readerGot = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    readerGot.set(ch.read());
                } catch (CancellationException cancelled) {
                    readerGot.set(cancelled);
                }
            });
            Thread writer = new Thread(() -> ch.write(5));
            reader.start();
            writer.start();
            reader.interrupt();
            reader.join();
            if (!Integer.valueOf(5).equals(readerGot.get())) {
                check(readerGot.get() instanceof CancellationException, "reader ended with " + readerGot.get());
                // The cancelled reader took nothing: the value is still there for the next one.
                check(ch.read() == 5, "value lost");
            }
            writer.join();
            check(ch.tryRead().isEmpty(), "value left over");
        }
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void interruptedWriterPutsNothing() throws InterruptedException {
        for (int capacity : new int[] {0, 1}) {
            Channel<Integer> ch = Channel.create(capacity);
            if (capacity == 1) {
                ch.write(1); // full: the next write blocks
            }
            AtomicReference<Object> writeResult = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    ch.write(2);
                    writeResult.set("returned");
                } catch (CancellationException cancelled) {
                    writeResult.set(cancelled);
                }
            });
            ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
            Thread reader = new Thread(() -> ch.tryRead().ifPresent(got::add));
            writer.start();
            reader.start();
            writer.interrupt();
            writer.join();
            reader.join();
            ch.close();
            for (Integer v : (Iterable<Integer>) ch::iterator) {
                got.add(v);
            }
            boolean twoArrived = got.contains(2);
            check(twoArrived == "returned".equals(writeResult.get()),
                    "write ended with " + writeResult.get() + " and the readers got " + got);
            check(got.size() == (capacity == 1 ? 1 : 0) + (twoArrived ? 1 : 0), "got " + got);
        }
    }

    // ---- Select ----

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void selectReadTakesExactlyOneValue() throws InterruptedException {
        for (int capacity : new int[] {0, 1}) {
            Channel<Integer> a = Channel.create(capacity);
            Channel<Integer> b = Channel.create(capacity);
            AtomicInteger selected = new AtomicInteger();
            Thread selector = new Thread(() -> selected.set(
                    Select.<Integer>create().onRead(a, v -> v).onRead(b, v -> v).select()));
            Thread writeA = new Thread(() -> a.write(1));
            Thread writeB = new Thread(() -> b.write(2));
            selector.start();
            writeA.start();
            writeB.start();
            selector.join();
            int other = selected.get() == 1 ? b.read() : a.read();
            writeA.join();
            writeB.join();
            check(selected.get() + other == 3 && selected.get() != other,
                    "select read " + selected.get() + ", then the other channel gave " + other);
            check(a.tryRead().isEmpty() && b.tryRead().isEmpty(), "a value left over");
        }
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void selectWriteHandsOverExactlyOneValue() throws InterruptedException {
        Channel<Integer> a = Channel.create(0);
        Channel<Integer> b = Channel.create(0);
        AtomicReference<String> fired = new AtomicReference<>();
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        Thread selector = new Thread(() -> fired.set(Select.<String>create()
                .onWrite(a, 1, () -> "a")
                .onWrite(b, 2, () -> "b")
                .select()));
        Thread readA = new Thread(() -> drain(a, got));
        Thread readB = new Thread(() -> drain(b, got));
        selector.start();
        readA.start();
        readB.start();
        selector.join();
        a.close();
        b.close();
        readA.join();
        readB.join();
        check(got.size() == 1, "readers got " + got + " after select fired " + fired.get());
        check(got.peek() == ("a".equals(fired.get()) ? 1 : 2), "clause " + fired.get() + " but readers got " + got);
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void selectRacingCloseFiresOnceOrThrows() throws InterruptedException {
        Channel<Integer> a = Channel.create(1);
        Channel<Integer> b = Channel.create(1);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread selector = new Thread(() -> {
            try {
                outcome.set(Select.<Integer>create().onRead(a, v -> v).onRead(b, v -> v).select());
            } catch (ChannelClosedException closed) {
                outcome.set(closed);
            }
        });
        Thread writer = new Thread(() -> {
            try {
                a.write(1);
            } catch (ChannelClosedException closed) {
                // closed first
            }
        });
        Thread closer = new Thread(() -> {
            a.close();
            b.close();
        });
        runAll(List.of(selector, writer, closer));
        Optional<Integer> left = a.tryRead();
        if (Integer.valueOf(1).equals(outcome.get())) {
            check(left.isEmpty(), "the selected value is still in the channel");
        } else {
            check(outcome.get() instanceof ChannelClosedException, "select ended with " + outcome.get());
        }
    }

    @FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
    void timedReadEitherGetsTheValueOrLeavesIt() throws InterruptedException {
        Channel<Integer> ch = Channel.create(0);
        AtomicReference<Optional<Integer>> got = new AtomicReference<>();
        Thread reader = new Thread(() -> got.set(ch.read(Duration.ofMillis(1))));
        AtomicReference<Boolean> handed = new AtomicReference<>();
        Thread writer = new Thread(() -> handed.set(ch.write(3, Duration.ofMillis(1))));
        runAll(List.of(reader, writer));
        check(got.get().isPresent() == handed.get(), "read " + got.get() + ", write returned " + handed.get());
    }

    // ---- helpers ----

    private static void drain(Channel<Integer> ch, ConcurrentLinkedQueue<Integer> into) {
        for (Integer v : (Iterable<Integer>) ch::iterator) {
            into.add(v);
        }
    }

    private static void awaitReaderParked(Channel<Integer> ch) {
        while (((ChannelStats) ch).readersWaiting() == 0) {
            Thread.yield();
        }
    }

    private static void runAll(List<Thread> threads) throws InterruptedException {
        List<Throwable> failures = new ArrayList<>();
        for (Thread t : threads) {
            t.setUncaughtExceptionHandler((th, e) -> {
                synchronized (failures) {
                    failures.add(e);
                }
            });
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        synchronized (failures) {
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("a thread failed", failures.get(0));
                failures.stream().skip(1).forEach(e::addSuppressed);
                throw e;
            }
        }
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    private static void checkThrows(Runnable call, String what) {
        try {
            call.run();
        } catch (ChannelClosedException expected) {
            return;
        }
        throw new AssertionError(what + " did not throw ChannelClosedException");
    }
}
