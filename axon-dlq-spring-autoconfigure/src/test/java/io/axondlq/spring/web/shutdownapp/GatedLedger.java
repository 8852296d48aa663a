package io.axondlq.spring.web.shutdownapp;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * Processing group {@value #GROUP}: writes a row per event into {@code shutdown_ledger} (in the event's transaction),
 * then waits at a gate set for that event, then fails for a poisoned sequence. The gates, the poison and what the
 * handler saw are static: they outlive an application context, so a test can close one context and start the next on
 * the same database.
 */
@ProcessingGroup(GatedLedger.GROUP)
public class GatedLedger {

    public static final String GROUP = "shutdown-ledger";

    /** Event id ({@link EntryBooked#id()}) to the latch its handler waits for. */
    public static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();
    /** Event ids whose handler is waiting at its gate now. */
    public static final Set<String> WAITING = ConcurrentHashMap.newKeySet();
    /** Event id to the thread whose handler waited at its gate (the job worker's, for background redeliveries). */
    public static final Map<String, Thread> GATED_THREADS = new ConcurrentHashMap<>();
    /** Event ids whose handler was interrupted while it waited at its gate. */
    public static final Set<String> INTERRUPTED = ConcurrentHashMap.newKeySet();
    public static final Set<String> POISONED = ConcurrentHashMap.newKeySet();

    private final JdbcTemplate jdbc;

    public GatedLedger(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("CREATE TABLE IF NOT EXISTS shutdown_ledger (sequence_key VARCHAR(100) NOT NULL, "
                             + "idx INTEGER NOT NULL)");
    }

    public static void reset() {
        GATES.clear();
        WAITING.clear();
        GATED_THREADS.clear();
        INTERRUPTED.clear();
        POISONED.clear();
    }

    @EventHandler
    public void on(EntryBooked event) throws InterruptedException {
        jdbc.update("INSERT INTO shutdown_ledger (sequence_key, idx) VALUES (?, ?)", event.sequence(),
                    event.index());
        CountDownLatch gate = GATES.get(event.id());
        if (gate != null) {
            GATED_THREADS.put(event.id(), Thread.currentThread());
            WAITING.add(event.id());
            try {
                gate.await();
            } catch (InterruptedException e) {
                INTERRUPTED.add(event.id());
                throw e;
            } finally {
                WAITING.remove(event.id());
            }
        }
        if (POISONED.contains(event.sequence())) {
            throw new IllegalStateException("poisoned sequence " + event.sequence());
        }
    }
}
