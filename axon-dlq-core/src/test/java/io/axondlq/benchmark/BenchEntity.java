package io.axondlq.benchmark;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The JPA projection's row: one per event. An assigned id (not IDENTITY) so that Hibernate defers the INSERT to the
 * flush, as it does for most real projections; a per-event flush is then a real cost the benchmark can see.
 */
@Entity
@Table(name = "bench_entity")
public class BenchEntity {

    @Id
    @Column(name = "id", length = 100)
    private String id;

    @Column(name = "aggregate_id", length = 64, nullable = false)
    private String aggregateId;

    @Column(name = "seq", nullable = false)
    private long seq;

    protected BenchEntity() {
    }

    BenchEntity(String aggregateId, long seq) {
        this.id = aggregateId + "/" + seq;
        this.aggregateId = aggregateId;
        this.seq = seq;
    }
}
