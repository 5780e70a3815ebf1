package io.qfiber.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Looks up the {@link VarHandle}s of the library's atomic fields, failing class initialization loudly. */
public final class FieldHandles {
    private FieldHandles() {}

    /**
     * Finds a field's VarHandle.
     *
     * @param lookup a lookup with access to the field (the owner's own {@code MethodHandles.lookup()})
     * @param owner  the class declaring the field
     * @param name   the field name
     * @param type   the field type
     * @return the handle
     */
    public static VarHandle find(MethodHandles.Lookup lookup, Class<?> owner, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(owner, name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
