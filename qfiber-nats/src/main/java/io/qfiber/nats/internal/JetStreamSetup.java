package io.qfiber.nats.internal;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PurgeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a remote channel is on the server, and how it is created or joined: the names of its
 * streams, subjects and consumer (see {@link JetStreamChannel}), and the checks that a channel
 * opened under an existing name agrees with it.
 */
final class JetStreamSetup {
    /** JetStream's error code for a stream that does not exist. */
    static final int STREAM_NOT_FOUND = 10059;
    /** The one durable consumer every reader of every process shares. */
    static final String DURABLE = "readers";

    final String name;
    final String stream;
    final String subject;
    final String closedSubject;
    final String eventsSubject;
    final String deadSubject;
    final String deadStream;
    private final JetStreamManagement jsm;

    JetStreamSetup(JetStreamManagement jsm, String name) {
        this.jsm = jsm;
        this.name = name;
        this.stream = "QFIBER_" + name;
        this.subject = "qfiber." + name + ".v";
        this.closedSubject = "qfiber." + name + ".closed";
        this.eventsSubject = "qfiber." + name + ".events";
        this.deadSubject = "qfiber." + name + ".dead";
        this.deadStream = "QFIBER_DEAD_" + name;
    }

    /**
     * Creates the channel's streams and consumer, or joins them when another process made them
     * (a race between two creating processes included).
     *
     * @return the channel's stream as the server has it now
     * @throws IllegalStateException  if the channel exists with another capacity or redeliverAfter
     * @throws UncheckedIOException   if the server refuses or cannot be reached
     */
    StreamInfo createOrJoin(int capacity, Duration ackWait, int replicas) {
        StreamConfiguration config = StreamConfiguration.builder()
                .name(stream)
                .description("qfiber remote channel '" + name + "'")
                .subjects(subject)
                .retentionPolicy(RetentionPolicy.WorkQueue)
                .discardPolicy(DiscardPolicy.New)
                .maxMessages(capacity)
                .storageType(StorageType.File)
                .replicas(replicas)
                .duplicateWindow(Duration.ofMinutes(2))
                .build();
        try {
            StreamInfo info = existing(stream);
            if (info == null) {
                try {
                    info = jsm.addStream(config);
                } catch (JetStreamApiException raced) {
                    info = existing(stream); // another process created it first
                    if (info == null) {
                        throw raced;
                    }
                }
            }
            long existingCapacity = info.getConfiguration().getMaxMsgs();
            if (existingCapacity != capacity) {
                throw new IllegalStateException("remote channel '" + name + "' exists with capacity " + existingCapacity
                        + "; opened with capacity " + capacity);
            }
            if (existing(deadStream) == null) {
                try {
                    jsm.addStream(StreamConfiguration.builder().name(deadStream)
                            .description("values of qfiber remote channel '" + name + "' that could not be decoded")
                            .subjects(deadSubject).maxMessages(10_000).discardPolicy(DiscardPolicy.Old)
                            .storageType(StorageType.File).replicas(replicas).build());
                } catch (JetStreamApiException raced) {
                    if (existing(deadStream) == null) {
                        throw raced;
                    }
                }
            }
            ConsumerInfo consumer = existingConsumer();
            if (consumer == null) {
                jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder()
                        .durable(DURABLE)
                        .ackPolicy(AckPolicy.Explicit)
                        .ackWait(ackWait)
                        .maxAckPending(-1)
                        .build());
            } else {
                Duration existingWait = consumer.getConsumerConfiguration().getAckWait();
                if (existingWait != null && !existingWait.equals(ackWait)) {
                    throw new IllegalStateException("remote channel '" + name + "' exists with redeliverAfter "
                            + existingWait + "; opened with redeliverAfter " + ackWait);
                }
            }
            return info;
        } catch (JetStreamApiException e) {
            throw new UncheckedIOException("the server refused remote channel '" + name + "': " + e.getMessage(),
                    new IOException(e));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open remote channel '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * A stream as the server has it.
     *
     * @param streamName the stream
     * @return its info, or null if there is no such stream
     * @throws IOException           if the server cannot be reached
     * @throws JetStreamApiException if the server refuses for another reason
     */
    @Nullable StreamInfo existing(String streamName) throws IOException, JetStreamApiException {
        try {
            return jsm.getStreamInfo(streamName);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Removes values the server still stores although its consumer has them acked: a work queue
     * deletes a value when it is acked, but a server killed with SIGKILL can come back with the
     * consumer's acks and without those deletions. Such values are never delivered again, yet
     * they fill the channel's capacity and would keep a closed channel from ever looking
     * drained. Only values at or below the consumer's ack floor (every one of them acked) go,
     * and only while the consumer has nothing pending or unacked.
     *
     * @return how many values were removed
     * @throws IOException           if the server cannot be reached
     * @throws JetStreamApiException if the server refuses
     */
    long reclaimAcked() throws IOException, JetStreamApiException {
        StreamInfo info = existing(stream);
        ConsumerInfo consumer = existingConsumer();
        if (info == null || consumer == null || info.getStreamState().getMsgCount() == 0
                || consumer.getNumPending() != 0 || consumer.getNumAckPending() != 0) {
            return 0;
        }
        long floor = consumer.getAckFloor().getStreamSequence();
        if (info.getStreamState().getFirstSequence() > floor) {
            return 0;
        }
        return jsm.purgeStream(stream, PurgeOptions.builder().sequence(floor + 1).build()).getPurged();
    }

    private @Nullable ConsumerInfo existingConsumer() throws IOException, JetStreamApiException {
        try {
            return jsm.getConsumerInfo(stream, DURABLE);
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() == 404) {
                return null;
            }
            throw e;
        }
    }
}
