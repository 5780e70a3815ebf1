package io.qfiber.examples.spring;

/**
 * One event of the live feed.
 *
 * @param seq          its number, from 1, in the order written
 * @param epochMillis  when it was written
 */
public record Event(long seq, long epochMillis) {}
