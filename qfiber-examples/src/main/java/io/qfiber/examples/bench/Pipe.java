package io.qfiber.examples.bench;

import io.qfiber.Channel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;

/** What the channel benchmarks push values through: our channel or a JDK baseline. */
interface Pipe {
    void put(Integer v) throws InterruptedException;

    Integer take() throws InterruptedException;

    /** Creates the named implementation: {@code qfiber}, {@code abq} or {@code sq} (SynchronousQueue). */
    static Pipe create(String impl, int capacity) {
        return switch (impl) {
            case "qfiber" -> new ChannelPipe(Channel.create(capacity));
            case "abq" -> new QueuePipe(new ArrayBlockingQueue<>(Math.max(1, capacity)));
            case "sq" -> new QueuePipe(new SynchronousQueue<>());
            default -> throw new IllegalArgumentException("impl must be qfiber, abq or sq, was " + impl);
        };
    }

    record ChannelPipe(Channel<Integer> channel) implements Pipe {
        @Override
        public void put(Integer v) {
            channel.write(v);
        }

        @Override
        public Integer take() {
            return channel.read();
        }
    }

    record QueuePipe(BlockingQueue<Integer> queue) implements Pipe {
        @Override
        public void put(Integer v) throws InterruptedException {
            queue.put(v);
        }

        @Override
        public Integer take() throws InterruptedException {
            return queue.take();
        }
    }
}
