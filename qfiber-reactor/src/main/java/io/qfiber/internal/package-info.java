/**
 * Not API: the engines behind {@link io.qfiber.Channel} and {@link io.qfiber.Fiber}. Nothing in
 * this package is covered by compatibility guarantees.
 */
@NullMarked
package io.qfiber.internal;

import org.jspecify.annotations.NullMarked;
