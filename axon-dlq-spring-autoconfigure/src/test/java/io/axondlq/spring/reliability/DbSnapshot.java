package io.axondlq.spring.reliability;

import org.springframework.jdbc.core.JdbcTemplate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Row count and an MD5 over every row (all columns, as text, sorted) of each table: equal snapshots, equal data. */
final class DbSnapshot {

    private DbSnapshot() {
    }

    static Map<String, String> take(JdbcTemplate jdbc, List<String> tables) {
        Map<String, String> snapshot = new LinkedHashMap<>();
        for (String table : tables) {
            snapshot.put(table, jdbc.queryForObject(
                    "SELECT COUNT(*) || ' rows, md5 ' || COALESCE(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') "
                            + "FROM " + table + " t", String.class));
        }
        return snapshot;
    }
}
