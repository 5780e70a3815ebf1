/**
 * Not API: observability. What each fiber waits on ({@code WaitRecord}, {@code WaitKind},
 * {@code WaitTarget}), the library's counters and named-channel registry ({@code LibraryStats},
 * read through {@code ChannelStats}), and the fiber dump's JMX bean.
 *
 * <p>May use: {@code io.qfiber.internal}. Used by every other layer to record waits and counts;
 * it knows none of them (channels are seen through {@code ChannelStats}, targets through
 * {@code WaitTarget}).
 */
@NullMarked
package io.qfiber.internal.observe;

import org.jspecify.annotations.NullMarked;
