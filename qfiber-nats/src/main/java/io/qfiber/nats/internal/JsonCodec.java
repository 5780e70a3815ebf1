package io.qfiber.nats.internal;

import io.qfiber.nats.Codec;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code Codec.json(type)}: Jackson 3, loaded only when asked for, so the dependency stays
 * optional.
 *
 * @param <T> the value type
 */
public final class JsonCodec<T> implements Codec<T> {
    private final Class<T> type;
    private final JsonMapper mapper;

    private JsonCodec(Class<T> type) {
        this.type = type;
        this.mapper = JsonMapper.builder().build();
    }

    /**
     * A JSON codec for {@code type}.
     *
     * @param type the value type
     * @param <T>  the value type
     * @return the codec
     * @throws IllegalStateException if Jackson 3 is not on the class path
     */
    public static <T> Codec<T> of(Class<T> type) {
        try {
            Class.forName("tools.jackson.databind.json.JsonMapper", false, JsonCodec.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("Codec.json needs Jackson 3 on the class path "
                    + "(tools.jackson.core:jackson-databind 3.x)", e);
        }
        return new JsonCodec<>(type);
    }

    @Override
    public byte[] encode(T value) {
        return mapper.writeValueAsBytes(value);
    }

    @Override
    public T decode(byte[] bytes) {
        return mapper.readValue(bytes, type);
    }

    @Override
    public String toString() {
        return "Codec.json(" + type.getSimpleName() + ")";
    }
}
