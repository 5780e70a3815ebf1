package io.qfiber.nats;

import io.qfiber.nats.internal.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Turns a remote channel's values into bytes and back. A codec must be stateless or thread-safe:
 * every writer and reader of a channel in a process uses the same one. A value that cannot be
 * decoded fails the read that meets it with an exception naming the channel and this codec's
 * error, and is set aside (see {@link RemoteChannel}), never redelivered forever.
 *
 * @param <T> the value type
 */
public interface Codec<T> {
    /**
     * Encodes a value. Must not block.
     *
     * @param value the value, not null
     * @return its bytes
     * @throws RuntimeException if the value cannot be encoded (the write then fails with it)
     */
    byte[] encode(T value);

    /**
     * Decodes bytes written by {@link #encode}. Must not block.
     *
     * @param bytes the bytes
     * @return the value, not null
     * @throws RuntimeException if the bytes cannot be decoded
     */
    T decode(byte[] bytes);

    /**
     * Strings as UTF-8.
     *
     * @return the codec
     */
    static Codec<String> utf8() {
        return new Codec<>() {
            @Override
            public byte[] encode(String value) {
                return value.getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public String decode(byte[] bytes) {
                return new String(bytes, StandardCharsets.UTF_8);
            }

            @Override
            public String toString() {
                return "Codec.utf8()";
            }
        };
    }

    /**
     * Byte arrays as they are (a read returns the array received; a write sends a copy's worth of
     * the array's current bytes, so the caller may reuse it once {@code write} returns).
     *
     * @return the codec
     */
    static Codec<byte[]> bytes() {
        return new Codec<>() {
            @Override
            public byte[] encode(byte[] value) {
                return value.clone();
            }

            @Override
            public byte[] decode(byte[] bytes) {
                return bytes;
            }

            @Override
            public String toString() {
                return "Codec.bytes()";
            }
        };
    }

    /**
     * Values as JSON with Jackson 3 ({@code tools.jackson.core:jackson-databind}, an optional
     * dependency that must then be on the class path): records, plain classes, collections.
     *
     * @param type the value type
     * @param <T>  the value type
     * @return the codec
     * @throws IllegalStateException if Jackson 3 is not on the class path
     */
    static <T> Codec<T> json(Class<T> type) {
        return JsonCodec.of(Objects.requireNonNull(type, "type"));
    }
}
