package io.qfiber.lincheck;

import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Overflow;
import io.qfiber.internal.channel.BufferedChannel;
import java.util.ArrayDeque;
import java.util.Optional;
import org.jetbrains.kotlinx.lincheck.paramgen.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lincheck: every concurrent history of {@code tryWrite}, {@code tryRead}, {@code close} and
 * {@code size} on a channel must be explainable by some order of the calls on a sequential model
 * (a bounded queue with a closed flag), in stress mode (real threads, many runs) and in model
 * checking mode (Lincheck chooses the thread switches, exhaustively for small scenarios). One
 * test class per channel kind: buffered (capacity 2), unbounded, and the two dropping policies,
 * each with segments of two cells, so that the scenarios cross segments.
 *
 * <p>What it found: a {@code close} that lost the race to another close returned before the
 * channel refused writes (a {@code tryWrite} after it succeeded), and a {@code tryRead} after a
 * close returned empty while a write that had reserved room before the close was still landing;
 * both fixed. And, with several writers, that reserving room and enqueueing were two steps: a
 * {@code tryWrite} could see the channel full because of a value no reader could see yet (and a
 * {@code tryRead} then find it empty), fixed by making the room counters the cells' tickets
 * ({@code TicketCells}). Writers and readers all run in parallel here, three threads in both
 * modes.
 *
 * <p>Not here: rendezvous channels and {@code Select}. Lincheck explains results with a
 * sequential specification in which every call completes; only Kotlin {@code suspend} calls may
 * wait there. A rendezvous {@code read} or {@code write} and a blocking select complete only with
 * a partner, and a Java call that parks is, to Lincheck, a thread that never ends: a model-checking
 * run of rendezvous {@code write}/{@code read}/{@code tryWrite}/{@code tryRead} reported
 * "The execution has hung" at its first scenario with an unmatched {@code read}. Their try-calls
 * succeed only against a parked partner, so without the blocking calls there is nothing to check.
 * {@code io.qfiber.fray.ChannelFrayTest} runs the real blocking calls under Fray instead.
 */
@Timeout(value = 600, unit = java.util.concurrent.TimeUnit.SECONDS)
class ChannelLincheckTest {
    private static final int ITERATIONS = Integer.getInteger("qfiber.lincheck.iterations", 10);
    /** Cells per segment: two, so that the scenarios cross from segment to segment. */
    private static final int SEGMENT = 2;
    private static final int INVOCATIONS = Integer.getInteger("qfiber.lincheck.invocations", 500);

    /** The sequential model: a queue of at most {@code capacity} values, a policy when full, a closed flag. */
    public static class Model {
        private final ArrayDeque<Integer> q = new ArrayDeque<>();
        private final int capacity;
        private final Overflow overflow;
        private boolean closed;

        Model(int capacity, Overflow overflow) {
            this.capacity = capacity;
            this.overflow = overflow;
        }

        public boolean tryWrite(int v) {
            if (closed) {
                throw new ChannelClosedException("closed", null);
            }
            if (q.size() == capacity) {
                switch (overflow) {
                    case BLOCK -> {
                        return false;
                    }
                    case DROP_LATEST -> {
                        return true;
                    }
                    case DROP_OLDEST -> q.poll();
                }
            }
            q.add(v);
            return true;
        }

        public Optional<Integer> tryRead() {
            return Optional.ofNullable(q.poll());
        }

        public void close() {
            closed = true;
        }

        public int size() {
            return q.size();
        }
    }

    /** The operations, on one channel made by {@link #channel()}. */
    @Param(name = "v", gen = IntGen.class, conf = "1:9")
    public abstract static class Ops {
        private final Channel<Integer> ch = channel();

        abstract Channel<Integer> channel();

        @Operation
        public boolean tryWrite(@Param(name = "v") int v) {
            return ch.tryWrite(v);
        }

        @Operation
        public Optional<Integer> tryRead() {
            return ch.tryRead();
        }

        @Operation
        public void close() {
            ch.close();
        }
    }

    public static class Buffered extends Ops {
        @Override
        Channel<Integer> channel() {
            return new BufferedChannel<>("channel", 2, Overflow.BLOCK, null, SEGMENT);
        }
    }

    public static class BufferedModel extends Model {
        public BufferedModel() {
            super(2, Overflow.BLOCK);
        }
    }

    public static class Unbounded extends Ops {
        @Override
        Channel<Integer> channel() {
            return new BufferedChannel<>("channel", Channel.UNBOUNDED, Overflow.BLOCK, null, SEGMENT);
        }
    }

    public static class UnboundedModel extends Model {
        public UnboundedModel() {
            super(Integer.MAX_VALUE, Overflow.BLOCK);
        }
    }

    public static class DropOldest extends Ops {
        @Override
        Channel<Integer> channel() {
            return new BufferedChannel<>("channel", 2, Overflow.DROP_OLDEST, null, SEGMENT);
        }
    }

    public static class DropOldestModel extends Model {
        public DropOldestModel() {
            super(2, Overflow.DROP_OLDEST);
        }
    }

    public static class DropLatest extends Ops {
        @Override
        Channel<Integer> channel() {
            return new BufferedChannel<>("channel", 2, Overflow.DROP_LATEST, null, SEGMENT);
        }
    }

    public static class DropLatestModel extends Model {
        public DropLatestModel() {
            super(2, Overflow.DROP_LATEST);
        }
    }

    private static void check(Class<?> ops, Class<?> model) {
        new StressOptions().sequentialSpecification(model).iterations(ITERATIONS).threads(3).actorsPerThread(3)
                .invocationsPerIteration(INVOCATIONS).check(ops);
        new ModelCheckingOptions().sequentialSpecification(model).iterations(ITERATIONS).threads(3).actorsPerThread(2)
                .invocationsPerIteration(INVOCATIONS).loopBound(200).check(ops);
    }

    @Test
    void bufferedChannel() {
        check(Buffered.class, BufferedModel.class);
    }

    @Test
    void unboundedChannel() {
        check(Unbounded.class, UnboundedModel.class);
    }

    @Test
    void dropOldestChannel() {
        check(DropOldest.class, DropOldestModel.class);
    }

    @Test
    void dropLatestChannel() {
        check(DropLatest.class, DropLatestModel.class);
    }
}
