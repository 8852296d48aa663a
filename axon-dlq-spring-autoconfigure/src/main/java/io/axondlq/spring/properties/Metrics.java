package io.axondlq.spring.properties;

import java.time.Duration;

/** Micrometer. */
public class Metrics {

    /**
     * How often the gauges axon.dlq.letters, axon.dlq.sequences and axon.dlq.oldest.age are refreshed, with one
     * statistics query for all processing groups (never a query per scrape). At least 1ms.
     */
    private Duration refreshInterval = Duration.ofSeconds(30);

    public Duration getRefreshInterval() { return refreshInterval; }
    public void setRefreshInterval(Duration refreshInterval) { this.refreshInterval = refreshInterval; }
}
