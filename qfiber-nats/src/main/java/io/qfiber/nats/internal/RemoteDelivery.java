package io.qfiber.nats.internal;

import io.nats.client.Message;
import io.qfiber.nats.Delivery;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A value received and not yet settled: {@code ack} and {@code nak} act once.
 *
 * @param <T> the value type
 */
final class RemoteDelivery<T> implements Delivery<T> {
    private final JetStreamChannel<T> channel;
    private final T value;
    private final Message message;
    private final AtomicBoolean settled = new AtomicBoolean();

    RemoteDelivery(JetStreamChannel<T> channel, T value, Message message) {
        this.channel = channel;
        this.value = value;
        this.message = message;
    }

    @Override
    public T value() {
        return value;
    }

    @Override
    public void ack() {
        if (settled.compareAndSet(false, true)) {
            try {
                channel.ackConfirmed(message);
            } catch (RuntimeException e) {
                settled.set(false); // not confirmed: the caller may try again
                throw e;
            }
        }
    }

    @Override
    public void nak() {
        if (settled.compareAndSet(false, true)) {
            channel.handBack(message);
        }
    }

    @Override
    public int deliveries() {
        return (int) Math.min(Integer.MAX_VALUE, message.metaData().deliveredCount());
    }

    @Override
    public String toString() {
        return "Delivery[" + channel.name() + ", " + value + ", deliveries " + deliveries() + "]";
    }
}
