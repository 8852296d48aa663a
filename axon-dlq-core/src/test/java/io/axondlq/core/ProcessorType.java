package io.axondlq.core;

/** The kinds of event processor a test runs the projection in. */
enum ProcessorType {
    POOLED,
    TRACKING,
    SUBSCRIBING,
    /** None registered by the fixture: the options' customizer registers the processor (an EventProcessorBuilder). */
    CUSTOM
}
