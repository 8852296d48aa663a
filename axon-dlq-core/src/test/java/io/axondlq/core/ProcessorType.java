package io.axondlq.core;

/** The kinds of event processor a test runs the projection in. */
enum ProcessorType {
    POOLED,
    TRACKING,
    SUBSCRIBING
}
