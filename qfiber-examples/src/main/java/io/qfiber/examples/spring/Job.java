package io.qfiber.examples.spring;

/**
 * A job submitted by {@code POST /jobs}.
 *
 * @param requestId the id of the request that submitted it, for the worker's log lines
 * @param payload   the request body
 */
public record Job(String requestId, String payload) {}
