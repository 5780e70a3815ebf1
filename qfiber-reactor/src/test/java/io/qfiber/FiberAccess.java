package io.qfiber;

/** Lets tests in other packages see a fiber's thread. */
public final class FiberAccess {
    private FiberAccess() {}

    /** @return the fiber's thread while it runs, else null */
    public static Thread thread(Fiber<?> fiber) {
        return fiber.thread();
    }
}
