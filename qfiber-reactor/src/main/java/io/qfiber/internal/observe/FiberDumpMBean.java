package io.qfiber.internal.observe;

/**
 * The JMX face of the fiber dump, registered as {@code io.qfiber:type=FiberDump}: reachable with
 * JConsole, VisualVM or any JMX client, without code changes.
 */
public interface FiberDumpMBean {
    /**
     * The dump, grouped by what the fibers wait on, without stacks.
     *
     * @return the rendered dump
     */
    String dump();

    /**
     * The dump with every fiber's stack.
     *
     * @return the rendered dump
     */
    String dumpWithStacks();

    /**
     * Fibers started and not yet ended.
     *
     * @return the count
     */
    int getLiveFibers();
}
