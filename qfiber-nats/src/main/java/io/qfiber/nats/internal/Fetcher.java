package io.qfiber.nats.internal;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.qfiber.Channel;
import io.qfiber.ChannelClosedException;
import io.qfiber.Fiber;
import io.qfiber.Overflow;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The reading side of one remote channel in one process: a small local channel (the inbox) that
 * one fetcher fiber fills from the channel's pull consumer, only as far as local readers wait for
 * values. Readers count themselves into the demand while they wait (a Flux subscriber counts what
 * it requested); while one waits with nothing at hand, the fetcher pulls at least
 * {@code demand - inbox size} values, and twice what readers took since its last pull when that
 * is more (busy readers get batches), never more than the inbox has room for: a process holds at
 * most {@link #BATCH} values fetched ahead. Values that arrive after their
 * readers left (cancelled, timed out) go back to the server after {@link #HOLD}; a value older than
 * half the ack wait is handed back instead of out, since the server may be about to give it to
 * another reader. Once the channel is closed and nothing is left on the server, the fetcher closes
 * the inbox: readers drain it, then see the channel closed.
 */
final class Fetcher {
    /** How many values a process fetches at once, and so holds ahead at most. */
    static final int BATCH = 64;
    private static final Duration POLL = Duration.ofMillis(500);
    /** How long values fetched for readers that left stay here before going back to the server. */
    private static final Duration HOLD = Duration.ofMillis(100);

    private final JetStreamChannel<?> channel;
    private final JetStream js;
    private final String stream;
    private final Duration ackWait;
    private final String name;
    /** Values fetched into this process, not yet handed out. */
    private final Channel<Fetched> inbox;
    /** Readers waiting here now: the fetcher pulls only while this is positive. */
    private final AtomicInteger demand = new AtomicInteger();
    /** Values readers took since the fetcher last pulled: sizes the next pull. */
    private final AtomicInteger takenSinceFetch = new AtomicInteger();
    /** Wakes the fetcher when demand appears or the channel closes (one pending signal at most). */
    private final Channel<Boolean> signal;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile @Nullable Fiber<Void> fiber;

    /** A message fetched into this process, and when. */
    private record Fetched(Message message, long fetchedAt) {}

    Fetcher(JetStreamChannel<?> channel, JetStream js, String stream, Duration ackWait) {
        this.channel = channel;
        this.js = js;
        this.stream = stream;
        this.ackWait = ackWait;
        this.name = channel.name();
        this.inbox = Channel.<Fetched>builder().name("remote channel '" + name + "' (fetched here)").capacity(BATCH).build();
        this.signal = Channel.<Boolean>builder().name("remote channel '" + name + "' (demand)")
                .capacity(1).overflow(Overflow.DROP_LATEST).build();
    }

    /** Wakes the fetcher: demand appeared, or the channel was closed (it then drains and ends). */
    void wake() {
        signal.tryWrite(Boolean.TRUE);
    }

    /** Starts the fetcher if it is not running: it notices a close even before any reader waits. */
    void start() {
        if (started.compareAndSet(false, true)) {
            fiber = Fiber.builder().name("qfiber-nats-fetch " + name).detached().onSharedScheduler().start(this::loop);
        }
    }

    /**
     * Takes a fetched message for a local reader, counting {@code weight} readers of demand while
     * it waits, until the deadline.
     *
     * @param deadline a nanoTime deadline, or {@code Long.MIN_VALUE} for none
     * @return the message, or null if the deadline passed
     * @throws ChannelClosedException if the inbox is closed and drained (the channel is closed
     *                                everywhere and drained, or this process detached)
     * @throws CancellationException  if the caller is cancelled
     */
    @Nullable Message take(long deadline, int weight) {
        start();
        demand.addAndGet(weight);
        wake();
        try {
            for (;;) {
                Optional<Fetched> f;
                if (deadline == Long.MIN_VALUE) {
                    f = Optional.of(inbox.read());
                } else {
                    long left = deadline - System.nanoTime();
                    f = left <= 0 ? inbox.tryRead() : inbox.read(Duration.ofNanos(left));
                }
                if (f.isEmpty()) {
                    return null;
                }
                Fetched fetched = f.get();
                if (System.nanoTime() - fetched.fetchedAt() > ackWait.toNanos() / 2) {
                    fetched.message().nak(); // the server may be about to hand it to another reader
                    continue;
                }
                takenSinceFetch.incrementAndGet();
                return fetched.message();
            }
        } finally {
            demand.addAndGet(-weight);
        }
    }

    /**
     * A message fetched and at hand, without waiting; when there is none, asks the fetcher for a
     * batch as a waiting reader would.
     *
     * @return the message, if one is at hand
     * @throws ChannelClosedException if the inbox is closed and drained
     */
    Optional<Message> tryTake() {
        start();
        Optional<Fetched> f = inbox.tryRead();
        if (f.isPresent()) {
            takenSinceFetch.incrementAndGet();
            return Optional.of(f.get().message());
        }
        if (inbox.isClosed()) {
            throw new ChannelClosedException("remote channel '" + name + "' is closed and drained", null);
        }
        demand.incrementAndGet();
        wake();
        demand.decrementAndGet();
        return Optional.empty();
    }

    /** @return whether the inbox is closed and empty: nothing more will come to this process */
    boolean drained() {
        return inbox.isClosed() && inbox.size() == 0;
    }

    /** This process stopped using the channel: ends the fetcher, hands back what it fetched. */
    void stop() {
        Fiber<Void> f = fiber;
        if (f != null) {
            f.cancel();
        }
        inbox.close();
        handBack();
    }

    /** The fetcher: pulls a batch while a local reader waits and nothing fetched is left. */
    private void loop() {
        JetStreamSubscription sub = null;
        int emptyPolls = 0;
        long failingSince = 0; // when the pulls began to fail, or 0
        try {
            while (!channel.isDetached()) {
                int wanted = demand.get() - inbox.size();
                if (wanted <= 0) {
                    if (channel.isClosedEverywhere() && inbox.size() == 0 && channel.drainedOnServer()) {
                        break;
                    }
                    boolean held = inbox.size() > 0;
                    if (signal.read(held ? HOLD : POLL).isEmpty() && held && demand.get() == 0) {
                        handBack(); // nobody here wants them: let other processes have them
                    }
                    continue;
                }
                try {
                    if (sub == null) {
                        sub = js.subscribe(null, PullSubscribeOptions.bind(stream, JetStreamSetup.DURABLE));
                    }
                    // Readers that took everything the last pull brought get twice as many next
                    // time, up to BATCH: a busy process pulls in batches, an idle one value by value.
                    int ask = Math.min(BATCH - inbox.size(), Math.max(wanted, 2 * takenSinceFetch.getAndSet(0)));
                    int got = 0;
                    // each value is handed to the inbox as it arrives, not when the pull is done
                    for (Iterator<Message> it = sub.iterate(Math.max(1, ask), POLL); it.hasNext(); ) {
                        Message m = it.next();
                        if (m.isJetStream()) {
                            got++;
                            if (!inbox.tryWrite(new Fetched(m, System.nanoTime()))) {
                                m.nak(); // cannot happen: never asked for more than the inbox has room for
                            }
                        }
                    }
                    failingSince = 0;
                    if (got == 0) {
                        if (channel.isClosedEverywhere() && channel.drainedOnServer()) {
                            break;
                        }
                        if (++emptyPolls % 10 == 0) { // readers waited 5 s: values acked but kept fill the capacity
                            channel.reclaimAcked();
                        }
                    } else {
                        emptyPolls = 0;
                    }
                } catch (IOException | JetStreamApiException | IllegalStateException e) {
                    if (channel.isDetached()) {
                        break;
                    }
                    try {
                        if (channel.refreshClosed() && channel.drainedOnServer()) {
                            break;
                        }
                    } catch (IOException unreachable) {
                        // the connection is away: wait for it
                    }
                    sub = null;
                    long now = System.nanoTime();
                    if (failingSince == 0) {
                        failingSince = now;
                    } else {
                        // a connection whose replies stopped coming stays silent until it reconnects
                        channel.reconnectIfSilent(now - failingSince);
                    }
                    JetStreamChannel.pause();
                }
            }
        } catch (CancellationException | ChannelClosedException stop) {
            // detached
        } finally {
            inbox.close(); // readers here drain what was fetched, then see the channel closed
            if (sub != null) {
                try {
                    sub.unsubscribe();
                } catch (RuntimeException ignored) {
                    // the connection is closing
                }
            }
        }
    }

    /** Naks every value fetched here and not handed out. */
    private void handBack() {
        for (Optional<Fetched> left = inbox.tryRead(); left.isPresent(); left = inbox.tryRead()) {
            left.get().message().nak();
        }
    }
}
