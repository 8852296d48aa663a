package io.axondlq.spring.reliability;

import io.axondlq.spring.reliability.EventAppender.Planned;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A seeded workload: {@code events} events over {@code aggregates} aggregates, each event of a uniformly drawn
 * aggregate, numbered per aggregate from 0; event identifiers come from the same seed. Same seed, same workload.
 */
record Workload(long seed, List<Planned> events, int aggregates) {

    static Workload generate(long seed, int events, int aggregates) {
        Random random = new Random(seed);
        Map<String, Long> next = new HashMap<>();
        List<Planned> planned = new ArrayList<>(events);
        for (int i = 0; i < events; i++) {
            String aggregate = "agg-" + random.nextInt(aggregates);
            long seq = next.merge(aggregate, 1L, Long::sum) - 1;
            planned.add(new Planned(aggregate, seq, new UUID(random.nextLong(), random.nextLong()).toString()));
        }
        return new Workload(seed, List.copyOf(planned), aggregates);
    }

    int size() {
        return events.size();
    }
}
